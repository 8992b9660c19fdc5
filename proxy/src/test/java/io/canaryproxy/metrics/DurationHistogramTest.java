package io.canaryproxy.metrics;

import static io.canaryproxy.metrics.LatencyRecordersTest.exchange;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.metrics.PrometheusText.Sample;
import io.canaryproxy.routing.Variant;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The duration histograms against their oracle: the Micrometer timers they replaced (SLO buckets
 * {@link MicrometerBinding#BUCKETS}, no percentiles), fed the same durations at the same (mock)
 * times, must export the very same lines, bucket by bucket, including the decaying {@code _max}.
 */
class DurationHistogramTest {
  private static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0";
  private static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
  private static final String[] FAMILIES = {
    "canary_proxy_request_duration_seconds", "canary_proxy_upstream_duration_seconds"
  };

  private final MockClock clock = new MockClock();
  private final MicrometerBinding binding =
      new MicrometerBinding(
          new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock),
          false);
  private final PrometheusMeterRegistry reference =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT, new PrometheusRegistry(), clock);
  private final Timer[] referenceTotal = new Timer[Variant.values().length];
  private final Timer[] referenceUpstream = new Timer[Variant.values().length];

  DurationHistogramTest() {
    for (Variant v : Variant.values()) {
      referenceTotal[v.ordinal()] =
          timer(MetricNames.REQUEST_DURATION, "First request byte to last response byte", v);
      referenceUpstream[v.ordinal()] =
          timer(
              MetricNames.UPSTREAM_DURATION,
              "Request sent to the backend until its response head",
              v);
    }
  }

  /** The meter MicrometerBinding registered before, verbatim. */
  private Timer timer(String name, String description, Variant v) {
    return Timer.builder(name)
        .description(description)
        .tags(MetricNames.TAG_VARIANT, v.label())
        .serviceLevelObjectives(MicrometerBinding.BUCKETS)
        .publishPercentileHistogram(false)
        .register(reference);
  }

  /** One exchange of {@code v} ending now, to both. */
  private void complete(Variant v, long totalNanos, long upstreamNanos) {
    Exchange x = exchange(v, 200, totalNanos, upstreamNanos);
    long shift = clock.monotonicTime() - x.endNanos;
    x.startNanos += shift;
    x.endNanos += shift;
    if (upstreamNanos > 0) {
      x.upstreamSentNanos += shift;
      x.upstreamHeadersNanos += shift;
    }
    binding.onExchangeComplete(x);
    referenceTotal[v.ordinal()].record(totalNanos, TimeUnit.NANOSECONDS);
    if (upstreamNanos > 0) {
      referenceUpstream[v.ordinal()].record(upstreamNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** The lines of the duration families, HELP and TYPE included, in scrape order. */
  private static List<String> durationLines(String scrape) {
    return Arrays.stream(scrape.split("\n"))
        .filter(l -> Arrays.stream(FAMILIES).anyMatch(f -> l.contains(f)))
        .collect(Collectors.toList());
  }

  private void assertSameExport() {
    for (String type : List.of(TEXT, OPENMETRICS)) {
      List<String> expected = durationLines(reference.scrape(type));
      assertThat(expected).as("the oracle exports the families").hasSizeGreaterThan(60);
      assertThat(durationLines(binding.prometheusRegistry().scrape(type)))
          .as("%s at %d ms", type, clock.wallTime())
          .containsExactlyElementsOf(expected);
    }
  }

  @Test
  void exportsExactlyWhatTheMicrometerTimersExportedAtEveryBoundary() {
    assertSameExport(); // every series at zero, before any request
    long[] edges = {0, 1, 999_999, 1_000_000, 1_000_001, 30_000_000_000L, 30_000_000_001L};
    for (long e : edges) {
      complete(Variant.STABLE, e, e);
    }
    for (Duration b : MicrometerBinding.BUCKETS) {
      complete(Variant.CANARY, b.toNanos(), b.toNanos() - 1);
      complete(Variant.CANARY, b.toNanos() + 1, b.toNanos());
    }
    complete(Variant.OTHER, 4_000_000, 0); // no upstream stage: only the total is recorded
    assertSameExport();
  }

  @Test
  void experimentArmsExportTheirSeriesBesideTheVariants() {
    ExperimentMetrics arms =
        new ExperimentMetrics(
            binding, new MetricsConfig(1, 60_000_000, 3, Duration.ofSeconds(10), 30));
    arms.arms(List.of("beta"));
    Timer beta =
        Timer.builder(MetricNames.REQUEST_DURATION)
            .description("First request byte to last response byte")
            .tags(MetricNames.TAG_VARIANT, "beta")
            .serviceLevelObjectives(MicrometerBinding.BUCKETS)
            .publishPercentileHistogram(false)
            .register(reference);
    for (long total : new long[] {700_000, 2_000_000, 9_000_000_000L}) {
      Exchange x = exchange(Variant.CANARY, 200, total, total / 2);
      x.endNanos = clock.monotonicTime();
      x.startNanos = x.endNanos - total;
      x.route.arm = "beta";
      binding.onExchangeComplete(x); // not counted under the variant: the arm's
      arms.onExchangeComplete(x);
      beta.record(total, TimeUnit.NANOSECONDS);
    }
    assertSameExport();
    assertThat(durationLines(binding.prometheusRegistry().scrape()))
        .contains("canary_proxy_request_duration_seconds_count{variant=\"beta\"} 3");
  }

  @Test
  void theMaxDecaysAsMicrometersDoesOverMinutesOfTraffic() {
    Random random = new Random(13);
    Variant[] variants = {Variant.STABLE, Variant.CANARY, Variant.SHADOW};
    // Steps of 7 s over 7 minutes: bursts and silences across several 60 s rotations.
    for (int step = 0; step < 60; step++) {
      clock.add(Duration.ofSeconds(7));
      int n = step % 9 < 4 ? random.nextInt(40) : 0;
      for (int i = 0; i < n; i++) {
        long total = (long) Math.exp(random.nextDouble() * 24); // 1 ns .. ~26 s
        complete(variants[random.nextInt(variants.length)], total, total / 2);
      }
      assertSameExport();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {3, 80})
  void countsFromManyThreadsAddUp(int threads) throws Exception {
    // 80 threads are more than ThreadStripe.MAX: the later ones share cells.
    int perThread = 2_000;
    List<Thread> started = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Thread th =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  Exchange x = exchange(Variant.CANARY, 200, 3_000_000L, 2_000_000L);
                  binding.onExchangeComplete(x);
                }
              });
      th.start();
      started.add(th);
    }
    for (Thread th : started) {
      th.join();
    }
    List<Sample> s = PrometheusText.parseStrict(binding.prometheusRegistry().scrape());
    Map<String, String> canary = Map.of("variant", "canary");
    long n = (long) threads * perThread;
    assertThat(value(s, "canary_proxy_request_duration_seconds_count", canary)).isEqualTo(n);
    assertThat(value(s, "canary_proxy_request_duration_seconds_sum", canary))
        .isEqualTo(n * 0.003, org.assertj.core.api.Assertions.within(1e-6));
    assertThat(
            value(
                s,
                "canary_proxy_request_duration_seconds_bucket",
                Map.of("variant", "canary", "le", "0.002")))
        .isZero();
    assertThat(
            value(
                s,
                "canary_proxy_upstream_duration_seconds_bucket",
                Map.of("variant", "canary", "le", "0.002")))
        .isEqualTo(n);
  }

  private static double value(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream()
        .filter(x -> x.name().equals(name) && x.labels().equals(labels))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + labels));
  }
}
