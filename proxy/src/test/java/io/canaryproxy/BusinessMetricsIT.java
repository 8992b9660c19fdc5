package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Business metrics from a real Prometheus: it scrapes the proxy's {@code /metrics} and a shop
 * backend's exporter of {@code shop_orders_total{version}} every second, and the rollout's metric
 * check divides the canary's orders by the canary's requests. A canary that answers as fast as
 * stable and without errors but takes no orders is rolled back by that check alone; one that takes
 * orders is promoted. Skipped, with the reason printed, where {@code prometheus} is not installed
 * ({@code .ci/run} installs it).
 */
class BusinessMetricsIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final String QUERY =
      "sum(rate(shop_orders_total{version=\\\"{{variant}}\\\"}[5s]))"
          + " / sum(rate(canary_proxy_requests_total{variant=\\\"{{variant}}\\\"}[5s]))";

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final AtomicLong stableOrders = new AtomicLong();
  private final AtomicLong canaryOrders = new AtomicLong();
  private volatile boolean canaryTakesOrders;
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private StubServer stable;
  private StubServer canary;
  private HttpServer exporter;
  private Process prometheus;
  private CanaryProxy proxy;

  @BeforeEach
  void startBackends() throws Exception {
    assumeTrue(
        Files.isExecutable(PROMETHEUS),
        () -> {
          String reason =
              "BusinessMetricsIT SKIPPED: "
                  + PROMETHEUS
                  + " is not installed (apt-get install prometheus; .ci/run does)";
          System.out.println(reason);
          return reason;
        });
    // every answer is one checkout; the broken canary answers just as fast but records no order
    stable =
        StubServer.start(
            (ctx, req) -> {
              stableOrders.incrementAndGet();
              StubServer.reply(ctx, HttpResponseStatus.OK, "ordered\n");
            });
    canary =
        StubServer.start(
            (ctx, req) -> {
              if (canaryTakesOrders) {
                canaryOrders.incrementAndGet();
              }
              StubServer.reply(ctx, HttpResponseStatus.OK, "ordered\n");
            });
    exporter = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    exporter.createContext(
        "/metrics",
        exchange -> {
          byte[] body =
              ("# TYPE shop_orders_total counter\n"
                      + "shop_orders_total{version=\"stable\"} "
                      + stableOrders.get()
                      + "\nshop_orders_total{version=\"canary\"} "
                      + canaryOrders.get()
                      + "\n")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    exporter.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (prometheus != null) {
      prometheus.destroy();
      if (!prometheus.waitFor(10, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    }
    if (exporter != null) {
      exporter.stop(0);
    }
    if (canary != null) {
      canary.close();
    }
    if (stable != null) {
      stable.close();
    }
  }

  @Test
  void aCanaryThatTakesNoOrdersIsRolledBackWhileItsLatencyAndErrorsLookHealthy() throws Exception {
    canaryTakesOrders = false;
    startAll();

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> "rolledBack".equals(status().path("state").asText()));

    JsonNode s = status();
    assertThat(s.path("reason").asText()).startsWith("3 consecutive failed looks");
    List<JsonNode> verdicts = new ArrayList<>();
    s.path("verdicts").forEach(verdicts::add);
    JsonNode last = verdicts.get(verdicts.size() - 1);
    assertThat(last.path("outcome").asText()).isEqualTo("FAIL");
    assertThat(last.path("reason").asText()).startsWith("metric orders-per-request 0.0 < min 0.5");
    JsonNode check = last.path("metrics").get(0);
    assertThat(check.path("name").asText()).isEqualTo("orders-per-request");
    assertThat(check.path("value").asDouble()).isZero();
    assertThat(check.path("outcome").asText()).isEqualTo("FAIL");
    // the judge's own checks were healthy: no canary error, and latency did not fail
    JsonNode evidence = last.path("evidence");
    assertThat(evidence.path("canaryRequests").asLong()).isPositive();
    assertThat(evidence.path("canaryErrors").asLong()).isZero();
    assertThat(evidence.path("latency").path("result").asText()).isNotEqualTo("FAIL");
    assertThat(evidence.path("errors").path("result").asText()).isNotEqualTo("FAIL");
    assertNoPassWithoutAMetricValue(verdicts);
    assertThat(canary.received()).isNotEmpty();
  }

  @Test
  void aCanaryThatTakesOrdersPassesTheMetricAndIsPromoted() throws Exception {
    canaryTakesOrders = true;
    startAll();

    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> "promoted".equals(status().path("state").asText()));

    List<JsonNode> verdicts = new ArrayList<>();
    status().path("verdicts").forEach(verdicts::add);
    JsonNode lastPass =
        verdicts.stream()
            .filter(v -> v.path("outcome").asText().equals("PASS"))
            .reduce((a, b) -> b)
            .orElseThrow();
    JsonNode check = lastPass.path("metrics").get(0);
    assertThat(check.path("outcome").asText()).isEqualTo("PASS");
    // about 1 order per request; not bounded above, since the two rates come from two targets
    // scraped at different moments and a 5 s window at 1 s scrapes is coarse
    assertThat(check.path("value").asDouble()).isGreaterThanOrEqualTo(0.5);
    assertNoPassWithoutAMetricValue(verdicts);
  }

  /** Before Prometheus has two scrapes, the rate is empty: those looks must not PASS. */
  private static void assertNoPassWithoutAMetricValue(List<JsonNode> verdicts) {
    assertThat(verdicts)
        .filteredOn(v -> v.path("metrics").get(0).path("outcome").asText().equals("INCONCLUSIVE"))
        .allSatisfy(v -> assertThat(v.path("outcome").asText()).isNotEqualTo("PASS"));
  }

  private void startAll() throws Exception {
    int prometheusPort = freePort();
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing:
          userKey: [{ header: x-user-id }]
          salt: "business-metrics-it"
        rollout:
          steps: [30, 100]
          stepInterval: 3s
          analysis:
            interval: 500ms
            minRequests: 20
            latency: { percentile: 50, maxRatio: 50 }
            errorRate: { maxIncrease: 0.5 }
            failureThreshold: 3
            maxInconclusive: 0s
            metrics:
              - name: orders-per-request
                prometheus: { url: "http://127.0.0.1:%d", query: "%s" }
                threshold: { min: 0.5 }
                interval: 1s
          stateFile: "%s"
        """
            .formatted(
                stable.endpoint(),
                canary.endpoint(),
                prometheusPort,
                QUERY,
                dir.resolve("rollout-state.json"));
    proxy = new CanaryProxy(ConfigLoader.parse(yaml)).start();
    startPrometheus(prometheusPort, proxy.adminPort(), exporter.getAddress().getPort());
    ClientLoad load =
        new ClientLoad(
            URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/"),
            2,
            500,
            Long.MAX_VALUE,
            Duration.ofSeconds(120));
    toClose.add(load);
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private void startPrometheus(int port, int adminPort, int exporterPort) throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("prometheus.yml"),
            """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            scrape_configs:
              - job_name: canary-proxy
                static_configs: [{ targets: ["127.0.0.1:%d"] }]
              - job_name: shop
                static_configs: [{ targets: ["127.0.0.1:%d"] }]
            """
                .formatted(adminPort, exporterPort));
    prometheus =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + Files.createDirectory(dir.resolve("data")),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              assertThat(prometheus.isAlive()).as(this::prometheusLog).isTrue();
              return http.send(
                          HttpRequest.newBuilder(
                                  URI.create("http://127.0.0.1:" + port + "/-/ready"))
                              .timeout(Duration.ofSeconds(5))
                              .build(),
                          HttpResponse.BodyHandlers.discarding())
                      .statusCode()
                  == 200;
            });
  }

  private String prometheusLog() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private JsonNode status() throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + proxy.adminPort() + "/admin/rollout"))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return MAPPER.readTree(r.body());
  }
}
