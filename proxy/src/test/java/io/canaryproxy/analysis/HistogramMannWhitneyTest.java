package io.canaryproxy.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class HistogramMannWhitneyTest {

  static Stream<Arguments> smallInputs() {
    // seed, control size, treatment size, value range, treatment shift
    return Stream.of(
        Arguments.of(1L, 5, 7, 10, 0),
        Arguments.of(2L, 20, 15, 6, 1),
        Arguments.of(3L, 40, 40, 2000, 0),
        Arguments.of(4L, 60, 30, 50, 5),
        Arguments.of(5L, 30, 60, 50, -5),
        // values past 2047 share HdrHistogram buckets: ties the oracle must reproduce
        Arguments.of(6L, 50, 50, 200_000, 10_000),
        Arguments.of(7L, 1, 1, 3, 0));
  }

  /**
   * Oracle: U by brute force over every pair of raw samples (after the same bucket quantization the
   * histogram applies), and z from a sort of the pooled raw samples with midranks and the
   * tie-corrected variance.
   */
  @ParameterizedTest(name = "[{index}] seed {0}: {1} vs {2} values in 0..{3}, shift {4}")
  @MethodSource("smallInputs")
  void agreesWithBruteForceOnRawSamples(long seed, int n0, int n1, int range, int shift) {
    Random rng = new Random(seed);
    Histogram h0 = Samples.newHistogram();
    Histogram h1 = Samples.newHistogram();
    long[] x = new long[n0];
    long[] y = new long[n1];
    for (int i = 0; i < n0; i++) {
      long v = 1 + rng.nextInt(range);
      h0.recordValue(v);
      x[i] = h0.highestEquivalentValue(v);
    }
    for (int i = 0; i < n1; i++) {
      long v = Math.max(1, 1 + rng.nextInt(range) + shift);
      h1.recordValue(v);
      y[i] = h1.highestEquivalentValue(v);
    }

    double u = 0;
    for (long a : x) {
      for (long b : y) {
        u += b > a ? 1 : b == a ? 0.5 : 0;
      }
    }
    double z = bruteForceZ(x, y, u);

    HistogramMannWhitney.Result result = HistogramMannWhitney.greater(h0, h1);
    assertThat(result.u()).isCloseTo(u, within(1e-9));
    assertThat(result.z()).isCloseTo(z, within(1e-9));
    assertThat(result.pValue()).isCloseTo(Statistics.normalUpperTail(z), within(1e-12));
  }

  private static double bruteForceZ(long[] x, long[] y, double u) {
    long[] all = new long[x.length + y.length];
    System.arraycopy(x, 0, all, 0, x.length);
    System.arraycopy(y, 0, all, x.length, y.length);
    Arrays.sort(all);
    double ties = 0;
    for (int i = 0; i < all.length; ) {
      int j = i;
      while (j < all.length && all[j] == all[i]) {
        j++;
      }
      double t = j - i;
      ties += t * t * t - t;
      i = j;
    }
    double n = all.length;
    double variance = x.length * (double) y.length / 12.0 * ((n + 1) - ties / (n * (n - 1)));
    return variance == 0 ? 0 : (u - x.length * (double) y.length / 2.0) / Math.sqrt(variance);
  }

  @Test
  void slowerTreatmentHasTinyPValueAndFasterOneLargePValue() {
    Random rng = new Random(11);
    Histogram stable = Samples.lognormal(rng, 1000, 1.0);
    Histogram slower = Samples.lognormal(rng, 1000, 1.3);
    assertThat(HistogramMannWhitney.greater(stable, slower).pValue()).isLessThan(1e-10);
    assertThat(HistogramMannWhitney.greater(slower, stable).pValue()).isGreaterThan(1 - 1e-10);
  }

  @Test
  void emptyOrFullyTiedSamplesGiveNoEvidence() {
    Histogram empty = Samples.newHistogram();
    Histogram a = Samples.newHistogram();
    Histogram b = Samples.newHistogram();
    a.recordValueWithCount(500, 10);
    b.recordValueWithCount(500, 20);
    assertThat(HistogramMannWhitney.greater(empty, a).pValue()).isEqualTo(1.0);
    assertThat(HistogramMannWhitney.greater(a, b).pValue()).isEqualTo(1.0);
    assertThat(HistogramMannWhitney.greater(a, b).u()).isEqualTo(100.0);
  }
}
