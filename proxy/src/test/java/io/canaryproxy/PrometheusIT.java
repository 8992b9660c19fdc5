package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.testing.LiveProxy;
import io.canaryproxy.testing.RepoFiles;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Grafana dashboard and Prometheus rules against a real Prometheus: it scrapes a
 * running proxy under light load every second and loads {@code config/prometheus}'s rules; then
 * every panel query of {@code config/grafana/canary-proxy.json} must return data without an error,
 * and every rule must evaluate without one. Skipped, with the reason printed, where {@code
 * prometheus} is not installed ({@code .ci/run} installs it).
 */
class PrometheusIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Path PROMETHEUS = Path.of("/usr/bin/prometheus");
  private static final Path PROMTOOL = Path.of("/usr/bin/promtool");
  private static final Path DASHBOARD = RepoFiles.file("config/grafana/canary-proxy.json");
  private static final Path RULES = RepoFiles.file("config/prometheus/canary-proxy-rules.yml");
  private static final Path RULE_TESTS =
      RepoFiles.file("config/prometheus/canary-proxy-rules.test.yml");

  /** What Grafana puts in for {@code $__rate_interval} at a 1 s scrape interval, roughly. */
  private static final String RATE_INTERVAL = "15s";

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private LiveProxy live;
  private Process prometheus;
  private String prometheusUrl;

  @AfterEach
  void stop() throws Exception {
    if (prometheus != null) {
      // Prometheus flushes its TSDB on SIGTERM, which can take longer than 10 s on a loaded
      // machine; JUnit deletes
      // the temporary directory right after this method, so it must not be writing there any more.
      prometheus.destroy();
      if (!prometheus.waitFor(30, TimeUnit.SECONDS)) {
        prometheus.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
      assertThat(prometheus.isAlive()).as("prometheus still running after SIGKILL").isFalse();
    }
    if (live != null) {
      live.close();
    }
  }

  private static void require(Path executable) {
    assumeTrue(
        Files.isExecutable(executable),
        () -> {
          String reason =
              "PrometheusIT SKIPPED: "
                  + executable
                  + " is not installed (apt-get install prometheus; .ci/run does)";
          System.out.println(reason);
          return reason;
        });
  }

  @Test
  void rulesPassPromtool() throws Exception {
    require(PROMTOOL);
    Process p =
        new ProcessBuilder(PROMTOOL.toString(), "check", "rules", RULES.toString())
            .redirectErrorStream(true)
            .start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(output).isZero();
    assertThat(output).contains("SUCCESS");

    // The rules' unit tests (gRPC errors under HTTP 200 count in the error ratio).
    Process t =
        new ProcessBuilder(PROMTOOL.toString(), "test", "rules", RULE_TESTS.toString())
            .redirectErrorStream(true)
            .start();
    String tested = new String(t.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(t.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(t.exitValue()).as(tested).isZero();
    assertThat(tested).contains("SUCCESS");
  }

  @Test
  void everyDashboardQueryAndRuleWorksOnScrapedData() throws Exception {
    require(PROMETHEUS);
    live = new LiveProxy(dir);
    startPrometheus(live.proxy().adminPort());

    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> !query("up{job=\"canary-proxy\"} == 1").isEmpty());

    List<String> queries = panelQueries();
    assertThat(queries).hasSizeGreaterThanOrEqualTo(10);
    for (String expr : queries) {
      String q = expr.replace("$__rate_interval", RATE_INTERVAL);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .untilAsserted(() -> assertThat(query(q)).as("result of %s", q).isNotEmpty());
    }

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(500))
        .untilAsserted(
            () -> {
              List<JsonNode> rules = new ArrayList<>();
              get("/api/v1/rules")
                  .path("data")
                  .path("groups")
                  .forEach(g -> g.path("rules").forEach(rules::add));
              assertThat(rules).hasSize(8);
              assertThat(rules)
                  .allSatisfy(
                      r ->
                          assertThat(r.path("health").asText())
                              .as("%s: %s", r.path("name").asText(), r.path("lastError").asText())
                              .isEqualTo("ok"));
            });
  }

  /** Every {@code targets[].expr} of every panel, rows included. */
  private static List<String> panelQueries() throws IOException {
    List<String> out = new ArrayList<>();
    JsonNode dashboard = MAPPER.readTree(DASHBOARD.toFile());
    collect(dashboard.path("panels"), out);
    return out;
  }

  private static void collect(JsonNode panels, List<String> out) {
    for (JsonNode panel : panels) {
      panel.path("targets").forEach(t -> out.add(t.path("expr").asText()));
      collect(panel.path("panels"), out);
    }
  }

  private void startPrometheus(int adminPort) throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    Path config =
        Files.writeString(
            dir.resolve("prometheus.yml"),
            """
            global: { scrape_interval: 1s, evaluation_interval: 1s }
            rule_files: ["%s"]
            scrape_configs:
              - job_name: canary-proxy
                metrics_path: /metrics
                static_configs: [{ targets: ["127.0.0.1:%d"] }]
            """
                .formatted(RULES, adminPort));
    prometheus =
        new ProcessBuilder(
                PROMETHEUS.toString(),
                "--config.file=" + config,
                "--storage.tsdb.path=" + Files.createDirectory(dir.resolve("data")),
                "--web.listen-address=127.0.0.1:" + port)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("prometheus.log").toFile())
            .start();
    prometheusUrl = "http://127.0.0.1:" + port;
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              assertThat(prometheus.isAlive()).as(() -> log()).isTrue();
              return status("/-/ready") == 200;
            });
  }

  private String log() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  private int status(String path) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(prometheusUrl + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private JsonNode get(String pathAndQuery) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(prometheusUrl + pathAndQuery))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    JsonNode body = MAPPER.readTree(r.body());
    assertThat(body.path("status").asText())
        .as("%s: %s", pathAndQuery, r.body())
        .isEqualTo("success");
    return body;
  }

  /** The instant vector or scalar that {@code expr} returns now; fails on any query error. */
  private List<JsonNode> query(String expr) throws Exception {
    JsonNode data =
        get("/api/v1/query?query=" + URLEncoder.encode(expr, StandardCharsets.UTF_8)).path("data");
    List<JsonNode> out = new ArrayList<>();
    if (data.path("resultType").asText().equals("scalar")) {
      out.add(data.path("result"));
    } else {
      data.path("result").forEach(out::add);
    }
    return out;
  }
}
