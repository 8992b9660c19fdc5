package io.canaryproxy.metrics;

import static io.canaryproxy.metrics.LatencyRecordersTest.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.metrics.PrometheusText.Sample;
import io.canaryproxy.routing.Variant;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MicrometerBindingTest {
  private final MicrometerBinding binding = new MicrometerBinding();

  @AfterEach
  void close() {
    binding.close();
  }

  private List<Sample> scrape() {
    return PrometheusText.parseStrict(binding.prometheusRegistry().scrape());
  }

  private static double value(List<Sample> samples, String name, Map<String, String> labels) {
    return samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().equals(labels))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no series " + name + labels));
  }

  @Test
  void everyExportedMeterIsWellFormedAndPrefixed() {
    binding.onExchangeComplete(exchange(Variant.CANARY, 200, 30_000_000L, 20_000_000L));

    List<Sample> samples = scrape();

    assertThat(samples).isNotEmpty();
    assertThat(samples).allSatisfy(s -> assertThat(s.name()).startsWith("canary_proxy_"));
    assertThat(samples.stream().map(Sample::name))
        .contains(
            "canary_proxy_jvm_memory_used_bytes",
            "canary_proxy_jvm_threads_live_threads",
            "canary_proxy_jvm_classes_loaded_classes",
            "canary_proxy_netty_allocator_memory_used")
        .noneMatch(n -> n.contains("jvm_info") || n.contains("os_") || n.contains("system_"));
    assertThat(samples)
        .noneMatch(s -> s.labels().containsKey("version") || s.labels().containsKey("vendor"));
  }

  @Test
  void exchangesFeedRequestCountersAndDurationHistograms() {
    binding.onExchangeComplete(exchange(Variant.CANARY, 200, 30_000_000L, 20_000_000L));
    binding.onExchangeComplete(exchange(Variant.CANARY, 201, 3_000_000L, 2_000_000L));
    binding.onExchangeComplete(exchange(Variant.STABLE, 503, 1_000_000L, 0));
    binding.onExchangeComplete(exchange(Variant.STABLE, 0, 500_000L, 0));

    List<Sample> s = scrape();

    assertThat(
            value(
                s,
                "canary_proxy_requests_total",
                Map.of("status_class", "2xx", "variant", "canary", "grpc_status", "none")))
        .isEqualTo(2);
    assertThat(
            value(
                s,
                "canary_proxy_requests_total",
                Map.of("status_class", "5xx", "variant", "stable", "grpc_status", "none")))
        .isEqualTo(1);
    assertThat(
            value(
                s,
                "canary_proxy_requests_total",
                Map.of("status_class", "none", "variant", "stable", "grpc_status", "none")))
        .isEqualTo(1);
    // Cumulative fixed buckets: 3 ms and 30 ms are both <= 50 ms, only 3 ms is <= 5 ms.
    String d = "canary_proxy_request_duration_seconds_bucket";
    assertThat(value(s, d, Map.of("variant", "canary", "le", "0.005"))).isEqualTo(1);
    assertThat(value(s, d, Map.of("variant", "canary", "le", "0.05"))).isEqualTo(2);
    assertThat(value(s, d, Map.of("variant", "canary", "le", "+Inf"))).isEqualTo(2);
    assertThat(value(s, "canary_proxy_request_duration_seconds_sum", Map.of("variant", "canary")))
        .isCloseTo(0.033, offset(1e-9));
    String u = "canary_proxy_upstream_duration_seconds_bucket";
    assertThat(value(s, u, Map.of("variant", "canary", "le", "0.025"))).isEqualTo(2);
    assertThat(
            value(s, "canary_proxy_upstream_duration_seconds_count", Map.of("variant", "stable")))
        .isZero();
    List<String> buckets =
        s.stream()
            .filter(x -> x.name().equals(d) && x.labels().get("variant").equals("stable"))
            .map(x -> x.labels().get("le"))
            .collect(Collectors.toList());
    assertThat(buckets)
        .containsExactly(
            "0.001", "0.002", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5",
            "5.0", "10.0", "30.0", "+Inf");
  }

  @Test
  void grpcCallsAreCountedByTheStatusTheyEndedWithUnderBoundedLabels() {
    for (io.canaryproxy.grpc.GrpcStatus g : io.canaryproxy.grpc.GrpcStatus.values()) {
      Exchange x = exchange(Variant.CANARY, 200, 1_000_000L, 500_000L);
      x.grpcStatus = g;
      binding.onExchangeComplete(x);
    }
    Exchange unavailable = exchange(Variant.CANARY, 200, 1_000_000L, 500_000L);
    unavailable.grpcStatus = io.canaryproxy.grpc.GrpcStatus.UNAVAILABLE;
    binding.onExchangeComplete(unavailable);
    binding.onExchangeComplete(exchange(Variant.CANARY, 200, 1_000_000L, 500_000L));

    List<Sample> s = scrape();

    String r = "canary_proxy_requests_total";
    assertThat(
            value(
                s,
                r,
                Map.of("status_class", "2xx", "variant", "canary", "grpc_status", "UNAVAILABLE")))
        .isEqualTo(2);
    assertThat(value(s, r, Map.of("status_class", "2xx", "variant", "canary", "grpc_status", "OK")))
        .isEqualTo(1);
    assertThat(
            value(s, r, Map.of("status_class", "2xx", "variant", "canary", "grpc_status", "none")))
        .isEqualTo(1);
    assertThat(
            s.stream()
                .filter(x -> x.name().equals(r))
                .map(x -> x.labels().get("grpc_status"))
                .collect(Collectors.toSet()))
        .as("17 status names and none, nothing else")
        .hasSize(18)
        .contains("none", "OK", "CANCELLED", "DATA_LOSS", "UNAUTHENTICATED");
  }

  @Test
  void aProxyWithoutGrpcTrafficExportsNoGrpcSeries() {
    binding.onExchangeComplete(exchange(Variant.STABLE, 200, 1_000_000L, 500_000L));

    assertThat(scrape())
        .filteredOn(x -> x.name().equals("canary_proxy_requests_total"))
        .allSatisfy(x -> assertThat(x.labels()).containsEntry("grpc_status", "none"));
  }

  @ParameterizedTest
  @CsvSource({
    "CONNECT_FAILED, connect_failed",
    "CONNECT_TIMEOUT, connect_timeout",
    "RESPONSE_TIMEOUT, response_timeout",
    "POOL_EXHAUSTED, pool_exhausted",
    "CONNECTION_CLOSED, connection_closed",
    "BAD_RESPONSE, bad_response",
    "DEADLINE_EXCEEDED, deadline_exceeded"
  })
  void upstreamFailuresAreCountedByTypeTag(UpstreamFailure failure, String tag) {
    Exchange x = exchange(Variant.CANARY, failure.status(), 1_000_000L, 0);
    binding.onUpstreamFailure("canary", x, failure);
    binding.onUpstreamFailure("canary", x, failure);

    List<Sample> s = scrape();

    assertThat(
            value(
                s,
                "canary_proxy_upstream_failures_total",
                Map.of("type", tag, "variant", "canary")))
        .isEqualTo(2);
    assertThat(
            value(
                s,
                "canary_proxy_upstream_failures_total",
                Map.of("type", tag, "variant", "stable")))
        .isZero();
  }

  @Test
  void connectionGaugesFollowOpensAndCloses() {
    binding.onClientConnection(1);
    binding.onClientConnection(1);
    binding.onClientConnection(-1);
    binding.onBackendConnection(1);

    List<Sample> s = scrape();

    assertThat(value(s, "canary_proxy_client_connections", Map.of())).isEqualTo(1);
    assertThat(value(s, "canary_proxy_backend_connections", Map.of())).isEqualTo(1);
  }

  @Test
  void randomPathsUsersAndStatusesAddNoSeries() {
    // Without the JVM binders: GC meters legitimately appear on the first collection of a kind.
    MicrometerBinding bare =
        new MicrometerBinding(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
    Set<String> before = series(bare);
    Random random = new Random(7);
    Variant[] variants = Variant.values();
    UpstreamFailure[] failures = UpstreamFailure.values();
    for (int i = 0; i < 10_000; i++) {
      Exchange x =
          exchange(
              variants[random.nextInt(variants.length)],
              random.nextInt(700),
              random.nextInt(1 << 30),
              5);
      x.path("/users/" + UUID.randomUUID() + "/orders?id=" + random.nextLong());
      x.method = random.nextBoolean() ? "GET" : "X-" + random.nextInt(1000);
      x.route.userKey("user-" + random.nextInt());
      x.route.bucket = random.nextInt(10_000);
      bare.onExchangeComplete(x);
      if (i % 10 == 0) {
        bare.onUpstreamFailure(
            "backend-" + random.nextInt(), x, failures[random.nextInt(failures.length)]);
      }
    }

    Set<String> after = series(bare);

    assertThat(after).isEqualTo(before);
    assertThat(before).allSatisfy(name -> assertThat(name).doesNotContain("/users/", "user-"));
    double total =
        PrometheusText.parseStrict(bare.prometheusRegistry().scrape()).stream()
            .filter(x -> x.name().equals("canary_proxy_requests_total"))
            .mapToDouble(Sample::value)
            .sum();
    assertThat(total).isEqualTo(10_000);
  }

  private static Set<String> series(MicrometerBinding b) {
    return PrometheusText.parseStrict(b.prometheusRegistry().scrape()).stream()
        .map(Sample::series)
        .collect(Collectors.toSet());
  }
}
