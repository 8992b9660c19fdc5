package io.canaryproxy.bench.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LatencyDistributionTest {
  private static long[] sample(LatencyDistribution d, int n) {
    Random random = new Random(7);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = d.sampleNanos(random);
    }
    Arrays.sort(out);
    return out;
  }

  @Test
  void fixedAlwaysGivesTheLatency() {
    long[] s = sample(LatencyDistribution.parse("fixed", Duration.ofMillis(20)), 100);
    assertThat(s[0]).isEqualTo(s[99]).isEqualTo(20_000_000L);
  }

  @Test
  void uniformStaysWithinItsBounds() {
    long[] s = sample(LatencyDistribution.parse("uniform:5ms-50ms", Duration.ZERO), 10_000);
    assertThat(s[0]).isGreaterThanOrEqualTo(5_000_000L);
    assertThat(s[s.length - 1]).isLessThanOrEqualTo(50_000_000L);
    assertThat(s[s.length / 2]).isBetween(25_000_000L, 30_000_000L);
  }

  @Test
  void lognormalHasTheGivenMedianAndATail() {
    long[] s = sample(LatencyDistribution.parse("lognormal:20ms,0.5", Duration.ZERO), 20_000);
    assertThat(s[s.length / 2]).isBetween(19_000_000L, 21_000_000L);
    // exp(0.5 * 2.326) ~ 3.2: the 99th percentile is about three times the median.
    assertThat(s[(int) (s.length * 0.99)]).isBetween(55_000_000L, 75_000_000L);
  }

  @Test
  void spikeSlowsOnlyTheGivenShare() {
    long[] s = sample(LatencyDistribution.parse("spike:10ms,0.02,200ms", Duration.ZERO), 20_000);
    long slow = java.util.Arrays.stream(s).filter(v -> v == 210_000_000L).count();
    long base = java.util.Arrays.stream(s).filter(v -> v == 10_000_000L).count();
    assertThat(slow + base).isEqualTo(20_000);
    // 2% of 20,000 = 400, binomial sd 20
    assertThat(slow).isBetween(320L, 480L);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "gaussian",
        "uniform:5ms",
        "uniform:50ms-5ms",
        "lognormal:20ms",
        "lognormal:20ms,-1",
        "spike:10ms,0.02",
        "spike:10ms,1.5,200ms"
      })
  void rejectsMalformedSpecsListingTheForms(String spec) {
    assertThatThrownBy(() -> LatencyDistribution.parse(spec, Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("latency-dist: " + spec + " (")
        .hasMessageContaining("expected: fixed | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA");
  }

  @ParameterizedTest
  @CsvSource({
    "fixed, 20ms",
    "'uniform:5ms-50ms', 'uniform:5ms-50ms'",
    "'lognormal:20ms,0.5', 'lognormal:20ms,0.5'",
    "'spike:10ms,0.02,200ms', 'spike:10ms,0.02,200ms'"
  })
  void describesItself(String spec, String description) {
    assertThat(LatencyDistribution.parse(spec, Duration.ofMillis(20))).hasToString(description);
  }
}
