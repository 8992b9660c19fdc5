package io.canaryproxy.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.assertj.core.data.Percentage;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StatisticsTest {

  /** Reference values of Φ(-z) = erfc(z/√2)/2 from a libm erfc (CPython math.erfc). */
  @ParameterizedTest
  @CsvSource({
    "0, 0.5",
    "1, 0.15865525393145707",
    "1.96, 0.024997895148220435",
    "2, 0.02275013194817922",
    "2.326347874040841, 0.010000000000000002",
    "3, 0.0013498980316300957",
    "5, 2.866515718791946e-07",
    "8, 6.220960574271819e-16"
  })
  void normalTailHasSmallRelativeError(double z, double lowerTailAtMinusZ) {
    assertThat(Statistics.normalCdf(-z))
        .isCloseTo(lowerTailAtMinusZ, Percentage.withPercentage(1.2e-5));
    assertThat(Statistics.normalUpperTail(z))
        .isCloseTo(lowerTailAtMinusZ, Percentage.withPercentage(1.2e-5));
    assertThat(Statistics.normalCdf(z)).isCloseTo(1 - lowerTailAtMinusZ, within(1.2e-7));
  }

  @ParameterizedTest(name = "[{index}] control {0}/{1} vs treatment {2}/{3}")
  @CsvSource({
    // equal rates: no evidence that the treatment is worse
    "10, 1000, 10, 1000, 0.4999999, 0.5000001",
    // 0.5% vs 5% on 2000 each: overwhelming
    "10, 2000, 100, 2000, 0, 1e-12",
    // treatment better: p close to 1
    "50, 1000, 10, 1000, 0.99999, 1",
    // no events anywhere: no power
    "0, 1000, 0, 1000, 1, 1"
  })
  void twoProportionTest(long e0, long n0, long e1, long n1, double low, double high) {
    assertThat(Statistics.twoProportionUpperPValue(e0, n0, e1, n1)).isBetween(low, high);
  }

  @org.junit.jupiter.api.Test
  void twoProportionMatchesHandComputedZ() {
    // p0 = 0.01, p1 = 0.02, pooled 0.015, se = sqrt(0.015*0.985*(2/1000)) = 0.0054359, z = 1.83963
    double expected = Statistics.normalUpperTail(0.01 / Math.sqrt(0.015 * 0.985 * 0.002));
    assertThat(Statistics.twoProportionUpperPValue(10, 1000, 20, 1000))
        .isCloseTo(expected, within(1e-15));
    assertThat(expected).isCloseTo(0.0329, within(5e-4));
  }

  @ParameterizedTest(name = "[{index}] alpha {0}, r {1}")
  @CsvSource({"0.01, 1", "0.01, 24", "0.005, 200", "0.05, 5"})
  void oneSidedThresholdInvertsItsPValueAndIsBelowTheTwoSidedOne(double alpha, double r) {
    double z = Statistics.oneSidedSequentialThreshold(alpha, r);
    assertThat(Statistics.oneSidedAlwaysValidPValue(z, r)).isCloseTo(alpha, within(alpha * 1e-6));
    assertThat(z).isLessThan(Statistics.sequentialThreshold(alpha, r));
    // no mixture weight on the untested side: about half the two-sided p-value near a decision
    assertThat(Statistics.oneSidedAlwaysValidPValue(z, r) / Statistics.alwaysValidPValue(z, r))
        .isBetween(0.5, 0.75);
  }

  /**
   * Ville's bound for the one-sided mixture: null random walks (mean 0, or worse for the tested
   * side, mean -0.05) looked at after every one of 400 steps cross α = 0.05 in at most α of paths.
   */
  @ParameterizedTest(name = "[{index}] drift {0}")
  @CsvSource({"0", "-0.05"})
  void oneSidedAlwaysValidPValueKeepsItsBoundUnderContinuousMonitoring(double drift) {
    java.util.Random rng = new java.util.Random(7);
    int paths = 4000;
    int crossed = 0;
    double tau = 0.2;
    for (int path = 0; path < paths; path++) {
      double sum = 0;
      for (int n = 1; n <= 400; n++) {
        sum += drift + rng.nextGaussian();
        // the mean's variance is 1/n, so z = sum/√n and r = τ²·n
        if (Statistics.oneSidedAlwaysValidPValue(sum / Math.sqrt(n), tau * tau * n) <= 0.05) {
          crossed++;
          break;
        }
      }
    }
    // 5% of 4,000 is 200 (sd 14); 230 is two sd above the bound
    assertThat(crossed).isLessThanOrEqualTo(230);
  }
}
