package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.metrics.PrometheusText;
import io.canaryproxy.testing.GrpcWire;
import io.canaryproxy.testing.StubServer;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gRPC canary judged by its gRPC statuses: a real gRPC client through a started {@link
 * CanaryProxy} (h2c) to HTTP/1.1 backends speaking gRPC framing. Every canary call fails with
 * UNAVAILABLE in its trailers under HTTP 200, which only the gRPC status tells; the judge counts
 * those as the canary's errors and rolls it back, and {@code /metrics} shows the calls by {@code
 * grpc_status}.
 */
class GrpcRolloutIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Metadata.Key<String> USER =
      Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicBoolean stopLoad = new AtomicBoolean();
  private final AtomicLong calls = new AtomicLong();
  private StubServer stable;
  private StubServer canary;
  private CanaryProxy proxy;
  private ManagedChannel channel;
  private ExecutorService clients;

  @AfterEach
  void stop() throws Exception {
    stopLoad.set(true);
    if (clients != null) {
      clients.shutdown();
      assertThat(clients.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (canary != null) {
      canary.close();
    }
    if (stable != null) {
      stable.close();
    }
  }

  @Test
  void aCanaryWhoseCallsFailWithUnavailableIsRolledBack() throws Exception {
    byte[] pong = "pong".getBytes(StandardCharsets.UTF_8);
    stable = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, pong, 0, null));
    canary = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, null, 14, "canary broken"));
    proxy = new CanaryProxy(ConfigLoader.parse(config())).start();
    channel = GrpcWire.channel(proxy.proxyPort());
    startLoad(4, 20_000);

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> "rolledBack".equals(status().path("state").asText()));

    JsonNode last = null;
    for (JsonNode v : status().path("verdicts")) {
      if (v.path("outcome").asText().equals("FAIL")) {
        last = v;
      }
    }
    assertThat(last).as("a FAIL verdict").isNotNull();
    assertThat(last.path("reason").asText()).contains("errors");
    assertThat(status().path("canaryPercent").asDouble()).isZero();

    List<PrometheusText.Sample> metrics =
        PrometheusText.parseStrict(get("/metrics")).stream()
            .filter(s -> s.name().equals("canary_proxy_requests_total"))
            .toList();
    assertThat(value(metrics, "canary", "UNAVAILABLE")).isPositive();
    assertThat(value(metrics, "stable", "OK")).isPositive();
    assertThat(value(metrics, "canary", "OK")).isZero();

    int canaryAtRollback = canary.received().size();
    long callsAtRollback = calls.get();
    await().atMost(Duration.ofSeconds(20)).until(() -> calls.get() >= callsAtRollback + 200);
    assertThat(canary.received()).hasSize(canaryAtRollback);
  }

  private static double value(List<PrometheusText.Sample> samples, String variant, String grpc) {
    return samples.stream()
        .filter(
            s ->
                s.labels()
                    .equals(Map.of("variant", variant, "status_class", "2xx", "grpc_status", grpc)))
        .mapToDouble(PrometheusText.Sample::value)
        .sum();
  }

  /** {@code threads} clients each calling in a loop, as a new user each time, up to {@code max}. */
  private void startLoad(int threads, long max) {
    clients = Executors.newFixedThreadPool(threads);
    AtomicLong user = new AtomicLong();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    for (int t = 0; t < threads; t++) {
      clients.execute(
          () -> {
            while (!stopLoad.get() && calls.get() < max && System.nanoTime() < deadline) {
              Metadata md = new Metadata();
              md.put(USER, "user-" + user.incrementAndGet());
              Channel c =
                  ClientInterceptors.intercept(
                      channel, MetadataUtils.newAttachHeadersInterceptor(md));
              try {
                ClientCalls.blockingUnaryCall(
                    c,
                    GrpcWire.UNARY,
                    CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS),
                    new byte[] {1, 2, 3});
              } catch (StatusRuntimeException expected) {
                // the canary's UNAVAILABLE: what the judge must see
              }
              calls.incrementAndGet();
            }
          });
    }
  }

  private String config() {
    return """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin:
          listen: 127.0.0.1:0
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing:
          userKey:
            - header: x-user-id
          salt: "grpc-rollout-it"
        rollout:
          steps: [10, 50, 100]
          stepInterval: 60s
          analysis:
            interval: 500ms
            minRequests: 20
            errorRate: { maxIncrease: 0.02 }
            failureThreshold: 2
          onFailure: rollback
          stateFile: "%s"
        """
        .formatted(stable.endpoint(), canary.endpoint(), dir.resolve("rollout-state.json"));
  }

  private JsonNode status() throws Exception {
    return MAPPER.readTree(get("/admin/rollout"));
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
                .GET()
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body();
  }
}
