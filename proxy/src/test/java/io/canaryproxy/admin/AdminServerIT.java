package io.canaryproxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.AdminConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.MicrometerBinding;
import io.canaryproxy.metrics.PrometheusText;
import io.canaryproxy.routing.Variant;
import io.netty.handler.codec.http.HttpMethod;
import java.io.ByteArrayInputStream;
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
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdminServerIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String TOKEN = "s3cret-token-value";
  private static final String READ_TOKEN = "read-only-token-value";

  @TempDir Path dir;

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final AtomicBoolean ready = new AtomicBoolean();
  private final AtomicInteger mutations = new AtomicInteger();
  private MicrometerBinding metrics;
  private LatencyRecorders recorders;
  private AdminServer server;
  private Path tokenFile;

  @BeforeEach
  void start() throws Exception {
    tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, "  " + TOKEN + "\n");
    metrics = new MicrometerBinding();
    recorders =
        new LatencyRecorders(new MetricsConfig(1, 60_000_000, 3, Duration.ofSeconds(10), 30));
    AdminConfig admin = new AdminConfig(new HostPort("127.0.0.1", 0), tokenFile);
    RolloutConfig rollout =
        new RolloutConfig(
            List.of(1.0, 50.0, 100.0),
            Duration.ofSeconds(60),
            null,
            RolloutConfig.OnFailure.ROLLBACK,
            Path.of("./rollout-state.json"),
            URI.create("https://hook:hunter2@hooks.example.com/services/T0/B0?key=abc123"),
            false);
    Map<String, Object> effective = Map.of("admin", admin, "rollout", rollout);
    server =
        new AdminServer(
            admin, () -> effective, metrics, recorders, ready::get, () -> Map.of("mismatches", 3));
    server.mutatingRoute(
        "/admin/test/poke",
        r -> {
          mutations.incrementAndGet();
          return AdminResponse.json(200, Map.of("poked", true));
        });
    server.start();
  }

  @AfterEach
  void stop() throws Exception {
    server.stop();
    metrics.close();
  }

  private HttpResponse<String> get(String path, String... headers) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(10));
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String... headers) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri(path))
            .timeout(Duration.ofSeconds(10))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (headers.length > 0) {
      b.headers(headers);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI uri(String path) {
    return URI.create("http://127.0.0.1:" + server.port() + path);
  }

  @Test
  void healthzIsAlwaysOkAndReadyzFollowsTheSupplier() throws Exception {
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
    assertThat(get("/healthz").body()).isEqualTo("ok");
    assertThat(get("/readyz").statusCode()).isEqualTo(503);

    ready.set(true);

    assertThat(get("/readyz").statusCode()).isEqualTo(200);
    assertThat(get("/healthz").statusCode()).isEqualTo(200);
  }

  @Test
  void metricsServesPrometheusTextByDefaultAndOpenMetricsWhenAsked() throws Exception {
    HttpResponse<String> text = get("/metrics");
    HttpResponse<String> open =
        get("/metrics", "Accept", "application/openmetrics-text; version=1.0.0, text/plain;q=0.5");

    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(text.headers().firstValue("content-type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(PrometheusText.parseStrict(text.body()))
        .anySatisfy(s -> assertThat(s.name()).isEqualTo("canary_proxy_requests_total"));
    assertThat(open.statusCode()).isEqualTo(200);
    assertThat(open.headers().firstValue("content-type").orElseThrow())
        .startsWith("application/openmetrics-text; version=1.0.0");
    assertThat(open.body()).contains("# TYPE canary_proxy_requests counter").endsWith("# EOF\n");
  }

  @Test
  void statsReportsPercentilesPerVariantSinceStartAndForTheLastInterval() throws Exception {
    for (int i = 0; i < 100; i++) {
      recorders.record(Variant.CANARY, 30_000, 29_000, i < 5);
      recorders.record(Variant.STABLE, 1_000, 900, false);
    }
    recorders.rollInterval();
    recorders.record(Variant.CANARY, 40_000, 39_000, false);
    recorders.rollInterval();

    HttpResponse<String> response = get("/admin/stats");

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("content-type")).hasValue("application/json");
    JsonNode body = JSON.readTree(response.body());
    JsonNode canary = body.path("variants").path("canary");
    JsonNode stable = body.path("variants").path("stable");
    assertThat(canary.path("requests").asLong()).isEqualTo(101);
    assertThat(canary.path("errors").asLong()).isEqualTo(5);
    assertThat(canary.path("latencyMs").path("p50").asDouble()).isBetween(30.0, 30.1);
    assertThat(canary.path("latencyMs").path("max").asDouble()).isBetween(40.0, 40.1);
    assertThat(stable.path("latencyMs").path("p50").asDouble()).isBetween(1.0, 1.01);
    assertThat(stable.path("latencyMs").path("p999").asDouble()).isLessThan(2.0);
    JsonNode last = canary.path("lastInterval");
    assertThat(last.path("requests").asLong()).isEqualTo(1);
    assertThat(last.path("errors").asLong()).isZero();
    assertThat(last.path("latencyMs").path("p50").asDouble()).isBetween(40.0, 40.1);
    assertThat(stable.path("lastInterval").path("requests").asLong()).isZero();
    assertThat(body.path("mirror").path("mismatches").asInt()).isEqualTo(3);
  }

  @Test
  void statsCarriesTheIntervalSeriesAndTheLastDistributionForTheDashboard() throws Exception {
    for (int i = 0; i < 10; i++) {
      recorders.record(Variant.CANARY, 30_000, 29_000, i == 0);
    }
    recorders.rollInterval();
    recorders.record(Variant.CANARY, 40_000, 39_000, false);
    recorders.rollInterval();

    JsonNode body = JSON.readTree(get("/admin/stats").body());

    JsonNode intervals = body.path("intervals");
    assertThat(intervals).hasSize(2);
    assertThat(intervals.get(0).path("canary").path("requests").asLong()).isEqualTo(10);
    assertThat(intervals.get(0).path("canary").path("errors").asLong()).isEqualTo(1);
    assertThat(intervals.get(1).path("canary").path("p99").asDouble()).isBetween(40.0, 40.1);
    assertThat(intervals.get(1).path("stable").path("requests").asLong()).isZero();
    assertThat(intervals.get(0).path("endMillis").asLong())
        .isLessThanOrEqualTo(intervals.get(1).path("endMillis").asLong());
    JsonNode distribution =
        body.path("variants").path("canary").path("lastInterval").path("distribution");
    assertThat(distribution.get(0).get(0).asDouble()).isZero();
    assertThat(distribution.get(distribution.size() - 1).get(0).asDouble()).isEqualTo(100.0);
    assertThat(distribution.get(distribution.size() - 1).get(1).asDouble()).isBetween(40.0, 40.1);
    assertThat(body.path("variants").path("stable").path("lastInterval").path("distribution"))
        .isEmpty();
  }

  @Test
  void dashboardIsOneSelfContainedPageAtBothPaths() throws Exception {
    for (String path : new String[] {"/", "/dashboard"}) {
      HttpResponse<String> page = get(path);

      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
      assertThat(page.headers().firstValue("content-security-policy").orElseThrow())
          .contains("connect-src 'self'", "frame-ancestors 'none'");
      assertThat(page.body())
          .contains("/admin/stats", "/admin/rollout", "Authorization")
          .doesNotContain("localStorage", "sessionStorage", "document.cookie")
          .doesNotContainPattern("(src|href)=\"(https?:)?//");
    }
  }

  @Test
  void histogramsEndpointServesAnIntervalLogThatHdrHistogramReadsBack() throws Exception {
    recorders.record(Variant.CANARY, 30_000, 29_000, false);
    recorders.record(Variant.CANARY, 31_000, 29_500, false);
    recorders.rollInterval();
    recorders.record(Variant.CANARY, 32_000, 30_000, false);
    recorders.rollInterval();

    HttpResponse<String> total = get("/admin/histograms?variant=canary");
    HttpResponse<String> upstream = get("/admin/histograms?variant=CANARY&measure=upstream");

    assertThat(total.statusCode()).isEqualTo(200);
    assertThat(total.body()).contains("#[StartTime: ", "\"StartTimestamp\",\"Interval_Length\"");
    List<Histogram> totals = read(total.body());
    assertThat(totals).extracting(Histogram::getTotalCount).containsExactly(2L, 1L);
    assertThat(totals.get(0).getMaxValue()).isEqualTo(totals.get(0).highestEquivalentValue(31_000));
    assertThat(read(upstream.body()).get(1).getMaxValue())
        .isEqualTo(totals.get(1).highestEquivalentValue(30_000));
  }

  private static List<Histogram> read(String log) {
    HistogramLogReader reader =
        new HistogramLogReader(new ByteArrayInputStream(log.getBytes(StandardCharsets.UTF_8)));
    List<Histogram> out = new ArrayList<>();
    EncodableHistogram h;
    while ((h = reader.nextIntervalHistogram()) != null) {
      out.add((Histogram) h);
    }
    return out;
  }

  @Test
  void unknownVariantOrMeasureIs400AndUnknownPathIs404Json() throws Exception {
    HttpResponse<String> badVariant = get("/admin/histograms?variant=blue");
    HttpResponse<String> badMeasure = get("/admin/histograms?variant=stable&measure=p99");
    HttpResponse<String> missing = get("/admin/nope");

    assertThat(badVariant.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(badVariant.body()).path("error").asText())
        .startsWith("variant: blue (expected:");
    assertThat(badMeasure.statusCode()).isEqualTo(400);
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(missing.body()).path("error").asText()).contains("/admin/nope");
  }

  @Test
  void configIsRenderedWithSecretsRedacted() throws Exception {
    HttpResponse<String> response = get("/admin/config");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(response.body());
    assertThat(body.path("admin").path("listen").asText()).isEqualTo("127.0.0.1:0");
    assertThat(body.path("admin").path("tokenFile").asText()).isEqualTo(tokenFile.toString());
    assertThat(body.path("rollout").path("webhook").asText())
        .isEqualTo("https://hooks.example.com/services/T0/B0?<redacted>");
    assertThat(body.path("rollout").path("stepInterval").asText()).isEqualTo("1m");
    assertThat(body.path("rollout").path("onFailure").asText()).isEqualTo("rollback");
    assertThat(response.body()).doesNotContain(TOKEN, "hunter2", "abc123");
  }

  @Test
  void mutatingRouteNeedsPostAndTheBearerToken() throws Exception {
    HttpResponse<String> noToken = post("/admin/test/poke");
    HttpResponse<String> wrongToken =
        post("/admin/test/poke", "Authorization", "Bearer " + TOKEN + "x");
    HttpResponse<String> viaGet = get("/admin/test/poke", "Authorization", "Bearer " + TOKEN);
    assertThat(mutations).hasValue(0);

    HttpResponse<String> ok = post("/admin/test/poke", "Authorization", "Bearer " + TOKEN);

    assertThat(noToken.statusCode()).isEqualTo(401);
    assertThat(noToken.headers().firstValue("www-authenticate")).hasValue("Bearer");
    assertThat(wrongToken.statusCode()).isEqualTo(401);
    assertThat(viaGet.statusCode()).isEqualTo(405);
    assertThat(viaGet.headers().firstValue("allow")).hasValue("POST");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(mutations).hasValue(1);
  }

  @Test
  void addedGetRouteIsServed() throws Exception {
    server.route(
        HttpMethod.GET, "/admin/test/echo", r -> AdminResponse.text(200, "q=" + r.param("q")));

    assertThat(get("/admin/test/echo?q=a%20b").body()).isEqualTo("q=a b");
  }

  /**
   * An admin server on 0.0.0.0 (off loopback) with a control and a read token, reached via
   * 127.0.0.1.
   */
  private AdminServer exposed(boolean publicMetrics) throws Exception {
    Path readToken = Files.writeString(dir.resolve("read-token"), READ_TOKEN + "\n");
    AdminServer exposed =
        new AdminServer(
            new AdminConfig(new HostPort("0.0.0.0", 0), tokenFile, readToken, publicMetrics),
            () -> Map.of("routing", Map.of("salt", "release-42")),
            metrics,
            recorders,
            ready::get,
            Map::of);
    exposed.mutatingRoute(
        "/admin/test/poke",
        r -> {
          mutations.incrementAndGet();
          return AdminResponse.json(200, Map.of("poked", true));
        });
    exposed.start();
    return exposed;
  }

  private HttpResponse<String> send(AdminServer s, String method, String path, String token)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
            .timeout(Duration.ofSeconds(10))
            .method(method, HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void offLoopbackEveryEndpointButHealthAndReadinessNeedsAToken() throws Exception {
    AdminServer exposed = exposed(false);
    try {
      ready.set(true);
      assertThat(send(exposed, "GET", "/healthz", null).statusCode()).isEqualTo(200);
      assertThat(send(exposed, "GET", "/readyz", null).statusCode()).isEqualTo(200);
      for (String path :
          List.of(
              "/metrics",
              "/admin/config",
              "/admin/stats",
              "/admin/histograms?variant=stable",
              "/no/such/path")) {
        HttpResponse<String> anonymous = send(exposed, "GET", path, null);
        HttpResponse<String> wrong = send(exposed, "GET", path, TOKEN + "x");
        HttpResponse<String> reader = send(exposed, "GET", path, READ_TOKEN);
        HttpResponse<String> controller = send(exposed, "GET", path, TOKEN);

        assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
        assertThat(anonymous.headers().firstValue("www-authenticate")).as(path).hasValue("Bearer");
        assertThat(anonymous.body()).as(path).doesNotContain("release-42", "canary_proxy_");
        assertThat(wrong.statusCode()).as(path).isEqualTo(401);
        int expected = path.equals("/no/such/path") ? 404 : 200;
        assertThat(reader.statusCode()).as(path).isEqualTo(expected);
        assertThat(controller.statusCode()).as(path).isEqualTo(expected);
      }

      HttpResponse<String> readerPokes = send(exposed, "POST", "/admin/test/poke", READ_TOKEN);
      assertThat(readerPokes.statusCode()).isEqualTo(403);
      assertThat(send(exposed, "POST", "/admin/test/poke", null).statusCode()).isEqualTo(401);
      assertThat(mutations).hasValue(0);
      assertThat(send(exposed, "POST", "/admin/test/poke", TOKEN).statusCode()).isEqualTo(200);
      assertThat(mutations).hasValue(1);
    } finally {
      exposed.stop();
    }
  }

  @Test
  void publicMetricsOpensMetricsAndNothingElse() throws Exception {
    AdminServer exposed = exposed(true);
    try {
      HttpResponse<String> scrape = send(exposed, "GET", "/metrics", null);

      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body()).contains("canary_proxy_");
      assertThat(send(exposed, "GET", "/admin/config", null).statusCode()).isEqualTo(401);
      assertThat(send(exposed, "GET", "/admin/stats", null).statusCode()).isEqualTo(401);
    } finally {
      exposed.stop();
    }
  }

  @Test
  void onLoopbackTheReadTokenCannotMutate() throws Exception {
    Path readToken = Files.writeString(dir.resolve("read-token"), READ_TOKEN);
    AdminServer local =
        new AdminServer(
            new AdminConfig(new HostPort("127.0.0.1", 0), tokenFile, readToken, false),
            Map::of,
            metrics,
            recorders,
            () -> true,
            Map::of);
    local.mutatingRoute("/admin/test/poke", r -> AdminResponse.json(200, Map.of()));
    local.start();
    try {
      assertThat(send(local, "GET", "/admin/config", null).statusCode()).isEqualTo(200);
      assertThat(send(local, "POST", "/admin/test/poke", READ_TOKEN).statusCode()).isEqualTo(403);
      assertThat(send(local, "POST", "/admin/test/poke", TOKEN).statusCode()).isEqualTo(200);
    } finally {
      local.stop();
    }
  }

  @Test
  void refusesANonLoopbackAddressWithoutATokenFile() {
    AdminServer exposed =
        new AdminServer(
            new AdminConfig(new HostPort("0.0.0.0", 0), null),
            Map::of,
            metrics,
            recorders,
            () -> true,
            Map::of);

    assertThatThrownBy(exposed::start)
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("admin.listen: 0.0.0.0:0 (expected: a loopback address");
    assertThat(exposed.port()).isEqualTo(-1);
  }

  @Test
  void refusesAnEmptyTokenFileBeforeBinding() throws Exception {
    Path empty = Files.writeString(dir.resolve("empty-token"), " \n");

    assertThatThrownBy(
            () ->
                new AdminServer(
                    new AdminConfig(new HostPort("127.0.0.1", 0), empty),
                    Map::of,
                    metrics,
                    recorders,
                    () -> true,
                    Map::of))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "admin.tokenFile: "
                + empty
                + " (cannot be read: empty; expected: a regular file of at most 4 KiB holding the"
                + " token)");
  }
}
