package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.routing.Variant;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class LatencyRecordersTest {
  private static final long HIGHEST = 60_000_000;
  private static final MetricsConfig CFG =
      new MetricsConfig(1, HIGHEST, 3, Duration.ofSeconds(10), 3);

  static Stream<Arguments> inputs() {
    Random random = new Random(42);
    long[] uniform = random.longs(5_000, 0, 2_000_000).toArray();
    long[] skewed = random.doubles(5_000).mapToLong(d -> (long) Math.exp(d * 17)).toArray();
    return Stream.of(
        Arguments.of("single value", new long[] {30_000}),
        Arguments.of("uniform up to 2 s", uniform),
        Arguments.of("log-spread 1 µs..24 s", skewed),
        Arguments.of("zero and the range edges", new long[] {0, 1, HIGHEST - 1, HIGHEST}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("inputs")
  void intervalHistogramEqualsPlainHistogramOfSameInput(String name, long[] values) {
    LatencyRecorders recorders = new LatencyRecorders(CFG);
    Histogram oracleTotal = new Histogram(1, HIGHEST, 3);
    Histogram oracleUpstream = new Histogram(1, HIGHEST, 3);
    for (long v : values) {
      recorders.record(Variant.CANARY, v, v / 2, false);
      oracleTotal.recordValue(v);
      oracleUpstream.recordValue(v / 2);
    }

    VariantInterval canary = recorders.rollInterval().variant(Variant.CANARY);

    assertThat(canary.total()).isEqualTo(oracleTotal);
    assertThat(canary.upstream()).isEqualTo(oracleUpstream);
    assertThat(canary.requests()).isEqualTo(values.length);
    assertThat(recorders.cumulative(Variant.CANARY, Measure.TOTAL)).isEqualTo(oracleTotal);
    assertThat(recorders.rollInterval().variant(Variant.STABLE).total().getTotalCount()).isZero();
  }

  @Test
  void valuesAboveTheRangeAreClampedToTheHighestNotDropped() {
    LatencyRecorders recorders = new LatencyRecorders(CFG);

    recorders.record(Variant.STABLE, HIGHEST * 10, Long.MAX_VALUE, false);

    VariantInterval stable = recorders.rollInterval().variant(Variant.STABLE);
    assertThat(stable.total().getTotalCount()).isEqualTo(1);
    assertThat(stable.total().valuesAreEquivalent(stable.total().getMaxValue(), HIGHEST)).isTrue();
    assertThat(stable.upstream().valuesAreEquivalent(stable.upstream().getMaxValue(), HIGHEST))
        .isTrue();
  }

  @Test
  void rollingResetsTheIntervalButNotTheCumulativeHistogram() {
    LatencyRecorders recorders = new LatencyRecorders(CFG);
    recorders.record(Variant.STABLE, 1_000, 900, false);
    recorders.record(Variant.STABLE, 2_000, 1_900, true);
    IntervalSnapshot first = recorders.rollInterval();
    recorders.record(Variant.STABLE, 3_000, 2_900, false);
    IntervalSnapshot second = recorders.rollInterval();
    IntervalSnapshot third = recorders.rollInterval();

    assertThat(first.variant(Variant.STABLE).total().getTotalCount()).isEqualTo(2);
    assertThat(first.variant(Variant.STABLE).errors()).isEqualTo(1);
    assertThat(second.variant(Variant.STABLE).total().getTotalCount()).isEqualTo(1);
    assertThat(second.variant(Variant.STABLE).requests()).isEqualTo(1);
    assertThat(second.variant(Variant.STABLE).errors()).isZero();
    assertThat(third.variant(Variant.STABLE).total().getTotalCount()).isZero();
    assertThat(third.variant(Variant.STABLE).requests()).isZero();
    assertThat(recorders.cumulative(Variant.STABLE, Measure.TOTAL).getTotalCount()).isEqualTo(3);
    assertThat(recorders.cumulativeRequests(Variant.STABLE)).isEqualTo(3);
    assertThat(recorders.cumulativeErrors(Variant.STABLE)).isEqualTo(1);
    // Recycling the interval histograms must not change snapshots already handed out.
    assertThat(first.variant(Variant.STABLE).total().getTotalCount()).isEqualTo(2);
  }

  @Test
  void windowKeepsTheLastNIntervalsOldestFirstWithContiguousTimes() {
    AtomicLong clock = new AtomicLong(1_000);
    LatencyRecorders recorders = new LatencyRecorders(CFG, clock::get);
    for (int i = 1; i <= 5; i++) {
      recorders.record(Variant.CANARY, i * 100L, -1, false);
      clock.addAndGet(10_000);
      recorders.rollInterval();
    }

    List<IntervalSnapshot> window = recorders.window();

    assertThat(window).hasSize(3);
    assertThat(window)
        .extracting(IntervalSnapshot::startMillis)
        .containsExactly(21_000L, 31_000L, 41_000L);
    assertThat(window)
        .extracting(IntervalSnapshot::endMillis)
        .containsExactly(31_000L, 41_000L, 51_000L);
    assertThat(window)
        .extracting(s -> s.variant(Variant.CANARY).total().getMaxValue())
        .containsExactly(300L, 400L, 500L);
    assertThat(window.get(0).variant(Variant.CANARY).total().getStartTimeStamp())
        .isEqualTo(21_000L);
  }

  @Test
  void windowEqualsTheRecordedValuesAfterRollingFarBeyondItsLength() throws Exception {
    int windowSize = 4;
    LatencyRecorders recorders =
        new LatencyRecorders(new MetricsConfig(1, HIGHEST, 3, Duration.ofSeconds(10), windowSize));
    Random random = new Random(7);
    List<Histogram[]> oracles = new ArrayList<>();
    IntervalSnapshot firstHandedOut = null;
    for (int i = 0; i < 25; i++) {
      Histogram total = new Histogram(1, HIGHEST, 3);
      Histogram upstream = new Histogram(1, HIGHEST, 3);
      // Each interval has its own spread (from 1 µs up to 20 s), so that a copy which kept buckets
      // of an earlier interval would show in some percentile.
      double spread = 3 + random.nextInt(14);
      int n = 1 + random.nextInt(3_000);
      for (int k = 0; k < n; k++) {
        long t = (long) Math.exp(random.nextDouble() * spread);
        long u = t / (1 + random.nextInt(4));
        recorders.record(Variant.CANARY, t, u, false);
        total.recordValue(t);
        upstream.recordValue(u);
      }
      oracles.add(new Histogram[] {total, upstream});
      IntervalSnapshot s = recorders.rollInterval();
      if (i == 0) {
        firstHandedOut = s;
      }
    }

    List<IntervalSnapshot> window = recorders.window();
    assertThat(window).hasSize(windowSize);
    for (int j = 0; j < windowSize; j++) {
      Histogram[] oracle = oracles.get(oracles.size() - windowSize + j);
      VariantInterval canary = window.get(j).variant(Variant.CANARY);
      assertSameDistribution(canary.total(), oracle[0]);
      assertSameDistribution(canary.upstream(), oracle[1]);
      assertThat(canary.requests()).isEqualTo(oracle[0].getTotalCount());
    }
    // A snapshot handed out to a listener (the rollout feed, the judge) long ago still holds its
    // own interval, though the window dropped it 21 rolls ago.
    assertSameDistribution(firstHandedOut.variant(Variant.CANARY).total(), oracles.get(0)[0]);
    assertSameDistribution(firstHandedOut.variant(Variant.CANARY).upstream(), oracles.get(0)[1]);
    Histogram all = new Histogram(1, HIGHEST, 3);
    oracles.forEach(o -> all.add(o[0]));
    assertSameDistribution(recorders.cumulative(Variant.CANARY, Measure.TOTAL), all);
  }

  /**
   * Equal counts in every bucket, so equal percentiles, minimum, maximum and mean, and the same
   * bytes in HdrHistogram's compressed encoding (what {@code /admin/histograms} and the fleet
   * evidence carry).
   */
  private static void assertSameDistribution(Histogram actual, Histogram expected)
      throws Exception {
    assertThat(actual).isEqualTo(expected);
    for (double p : new double[] {0, 50, 90, 99, 99.9, 100}) {
      assertThat(actual.getValueAtPercentile(p)).isEqualTo(expected.getValueAtPercentile(p));
    }
    assertThat(actual.getTotalCount()).isEqualTo(expected.getTotalCount());
    assertThat(actual.getMaxValue()).isEqualTo(expected.getMaxValue());
    assertThat(actual.getMinNonZeroValue()).isEqualTo(expected.getMinNonZeroValue());
    assertThat(actual.getMean()).isEqualTo(expected.getMean());
    assertThat(compressed(actual.copy())).isEqualTo(compressed(expected));
  }

  private static byte[] compressed(Histogram h) {
    java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(h.getNeededByteBufferCapacity());
    int n = h.encodeIntoCompressedByteBuffer(buf);
    return java.util.Arrays.copyOf(buf.array(), n);
  }

  @Test
  void theWindowAtTheDefaultsTakesAFractionOfOneFullHistogramPerInterval() {
    // The defaults: 1 µs .. 60 s, 3 digits, 30 intervals. Each interval: 20,000 requests per
    // variant and measure, latencies spread over 100 µs .. 200 ms. A full histogram of that range
    // is a 136 KiB array whatever it holds; the window keeps its intervals for minutes, so they
    // are promoted and die in the old generation.
    LatencyRecorders recorders =
        new LatencyRecorders(new MetricsConfig(1, HIGHEST, 3, Duration.ofSeconds(10), 30));
    Random random = new Random(11);
    for (int i = 0; i < 30; i++) {
      for (int k = 0; k < 20_000; k++) {
        long t = 100 + (long) Math.exp(random.nextDouble() * Math.log(200_000));
        for (Variant v : Variant.values()) {
          recorders.record(v, t, t / 2, false);
        }
      }
      recorders.rollInterval();
    }
    long full = new Histogram(1, HIGHEST, 3).getEstimatedFootprintInBytes();
    long window = 0;
    int histograms = 0;
    for (IntervalSnapshot s : recorders.window()) {
      for (Variant v : Variant.values()) {
        for (Measure m : Measure.values()) {
          window += s.variant(v).histogram(m).getEstimatedFootprintInBytes();
          histograms++;
        }
      }
    }

    assertThat(histograms).isEqualTo(30 * Variant.values().length * Measure.values().length);
    assertThat(window).isLessThan(histograms * full / 4);
  }

  @Test
  void exchangesAreRecordedInMicrosAndUnreachedStagesAreSkipped() {
    LatencyRecorders recorders = new LatencyRecorders(CFG);
    Exchange ok = exchange(Variant.CANARY, 200, 30_000_000L, 25_000_000L);
    Exchange failed = exchange(Variant.CANARY, 502, 5_000_000L, 0);
    failed.failure = UpstreamFailure.CONNECT_FAILED;
    Exchange unrouted = exchange(null, 400, 100_000L, 0);

    recorders.onExchangeComplete(ok);
    recorders.onExchangeComplete(failed);
    recorders.onExchangeComplete(unrouted);
    IntervalSnapshot s = recorders.rollInterval();

    VariantInterval canary = s.variant(Variant.CANARY);
    assertThat(canary.requests()).isEqualTo(2);
    assertThat(canary.errors()).isEqualTo(1);
    assertThat(canary.total().getTotalCount()).isEqualTo(2);
    assertThat(canary.total().valuesAreEquivalent(canary.total().getMaxValue(), 30_000)).isTrue();
    assertThat(canary.upstream().getTotalCount()).isEqualTo(1);
    assertThat(canary.upstream().valuesAreEquivalent(canary.upstream().getMaxValue(), 25_000))
        .isTrue();
    assertThat(s.variant(Variant.OTHER).requests()).isEqualTo(1);
  }

  @ParameterizedTest(name = "{0} threads")
  @ValueSource(ints = {4, 80})
  void concurrentRecordingWhileRollingLosesNothing(int threads) throws Exception {
    // 80 threads are more than ThreadStripe.MAX: the later ones share multi-writer recorders.
    LatencyRecorders recorders = new LatencyRecorders(CFG);
    int perThread = 200_000 / threads;
    AtomicBoolean done = new AtomicBoolean();
    Thread roller =
        new Thread(
            () -> {
              while (!done.get()) {
                recorders.rollInterval();
              }
            });
    roller.start();
    List<Thread> writers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      long base = t * 1_000L;
      Thread w =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  recorders.record(Variant.CANARY, base + i % 1_000, base, i % 10 == 0);
                }
              });
      writers.add(w);
      w.start();
    }
    for (Thread w : writers) {
      w.join();
    }
    done.set(true);
    roller.join();
    recorders.rollInterval();

    long n = (long) threads * perThread;
    assertThat(recorders.cumulative(Variant.CANARY, Measure.TOTAL).getTotalCount()).isEqualTo(n);
    assertThat(recorders.cumulative(Variant.CANARY, Measure.UPSTREAM).getTotalCount()).isEqualTo(n);
    assertThat(recorders.cumulativeRequests(Variant.CANARY)).isEqualTo(n);
    assertThat(recorders.cumulativeErrors(Variant.CANARY)).isEqualTo(n / 10);
  }

  static Exchange exchange(Variant v, int status, long totalNanos, long upstreamNanos) {
    Exchange x = new Exchange();
    x.route.variant = v;
    x.status = status;
    x.startNanos = 1_000_000_000L;
    x.endNanos = x.startNanos + totalNanos;
    if (upstreamNanos > 0) {
      x.upstreamSentNanos = x.startNanos + 1_000;
      x.upstreamHeadersNanos = x.upstreamSentNanos + upstreamNanos;
    }
    return x;
  }

  static Stream<Arguments> invalidConfigs() {
    Duration d = Duration.ofSeconds(10);
    return Stream.of(
        Arguments.of(
            new MetricsConfig(0, HIGHEST, 3, d, 30), "metrics.lowestMicros: 0 (expected: >= 1)"),
        Arguments.of(new MetricsConfig(10, 15, 3, d, 30), "metrics.highestMicros: 15 (expected:"),
        Arguments.of(
            new MetricsConfig(1, HIGHEST, 6, d, 30),
            "metrics.significantDigits: 6 (expected: 1..5)"),
        Arguments.of(new MetricsConfig(1, HIGHEST, 3, d, 0), "metrics.window: 0 (expected: >= 1)"));
  }

  @ParameterizedTest
  @MethodSource("invalidConfigs")
  void invalidConfigIsRejectedWithItsPath(MetricsConfig cfg, String message) {
    assertThatThrownBy(() -> new LatencyRecorders(cfg))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith(message);
  }
}
