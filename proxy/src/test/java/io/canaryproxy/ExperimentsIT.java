package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.routing.Cohorts;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code routing.experiments} end to end on real loopback sockets: stable plus two arms, each on
 * its own backend; every user lands where its cohort bucket says, the request meters carry each
 * arm's name as {@code variant}, and {@code GET /admin/experiments} judges each arm against stable,
 * so the arm whose backend fails every request FAILs while the healthy arm does not.
 */
class ExperimentsIT {
  private static final String SALT = "abn";
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final StubServer stable = StubServer.named("stable");
  private final StubServer canary = StubServer.named("canary");
  private final StubServer armB = StubServer.named("arm-b");
  private final StubServer armC =
      StubServer.start(
          (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "arm-c\n"));
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private CanaryProxy proxy;

  ExperimentsIT() throws InterruptedException {}

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    stable.close();
    canary.close();
    armB.close();
    armC.close();
  }

  /** The oracle: arms take buckets from the top, b first (30%), then c (30%); no canary. */
  private static String expected(String user) {
    int bucket = Cohorts.bucket(SALT, user);
    return bucket >= 7000 ? "arm-b" : bucket >= 4000 ? "arm-c" : "stable";
  }

  @Test
  void eachArmGetsItsCohortItsMetersAndItsOwnVerdict() throws Exception {
    proxy =
        new CanaryProxy(
                ConfigLoader.parse(
                    String.join(
                        "\n",
                        "listen: 127.0.0.1:0",
                        "ioThreads: 1",
                        "admin: { listen: 127.0.0.1:0 }",
                        "metrics: { interval: 1s }",
                        "backends:",
                        "  stable: { endpoints: [\"" + stable.endpoint() + "\"] }",
                        "  canary: { endpoints: [\"" + canary.endpoint() + "\"] }",
                        "  b: { endpoints: [\"" + armB.endpoint() + "\"] }",
                        "  c: { endpoints: [\"" + armC.endpoint() + "\"] }",
                        "routing:",
                        "  userKey: [{ header: x-user-id }]",
                        "  salt: \"" + SALT + "\"",
                        "  canaryPercent: 0",
                        "  experiments:",
                        "    - { name: arm-b, backend: b, percent: 30 }",
                        "    - { name: arm-c, backend: c, percent: 30 }",
                        "")))
            .start();
    Map<String, Integer> sent = new HashMap<>();
    try (RawHttp raw = new RawHttp(proxy.proxyPort())) {
      for (int u = 0; u < 900; u++) {
        String user = "user-" + u;
        RawHttp.Response r =
            raw.send("GET / HTTP/1.1\r\nHost: shop\r\nx-user-id: " + user + "\r\n\r\n").read();
        String want = expected(user);
        assertThat(r.bodyText().trim()).as(user).isEqualTo(want);
        assertThat(r.status()).isEqualTo(want.equals("arm-c") ? 500 : 200);
        sent.merge(want, 1, Integer::sum);
      }
    }
    assertThat(sent.get("arm-b")).isBetween(200, 340);
    assertThat(sent.get("arm-c")).isBetween(200, 340);
    assertThat(canary.received()).isEmpty();

    String metrics = get("/metrics");
    assertThat(counter(metrics, "arm-b", "2xx")).isEqualTo(sent.get("arm-b").longValue());
    assertThat(counter(metrics, "arm-c", "5xx")).isEqualTo(sent.get("arm-c").longValue());
    assertThat(counter(metrics, "stable", "2xx")).isEqualTo(sent.get("stable").longValue());
    assertThat(counter(metrics, "other", "2xx")).as("arm requests are not counted twice").isZero();

    // once the interval holding the requests is closed, each arm is judged against stable
    JsonNode report =
        await()
            .atMost(Duration.ofSeconds(20))
            .until(
                () -> MAPPER.readTree(get("/admin/experiments")),
                j -> j.at("/arms/arm-c/requests").asLong() == sent.get("arm-c"));
    assertThat(report.at("/arms/arm-b/requests").asLong()).isEqualTo(sent.get("arm-b").longValue());
    assertThat(report.at("/arms/arm-b/errors").asLong()).isZero();
    assertThat(report.at("/arms/arm-c/errors").asLong()).isEqualTo(sent.get("arm-c").longValue());
    assertThat(report.at("/stable/requests").asLong()).isEqualTo(sent.get("stable").longValue());
    assertThat(report.at("/arms/arm-c/verdict/outcome").asText()).isEqualTo("FAIL");
    assertThat(report.at("/arms/arm-c/verdict/reason").asText()).contains("arm-c");
    assertThat(report.at("/arms/arm-b/verdict/outcome").asText()).isNotEqualTo("FAIL");
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path).isEqualTo(200);
    return r.body();
  }

  /** The value of {@code canary_proxy_requests_total} for a variant and status class, or 0. */
  private static long counter(String metrics, String variant, String statusClass) {
    Matcher m =
        Pattern.compile("(?m)^canary_proxy_requests_total\\{([^}]*)\\} ([0-9.eE+]+)$")
            .matcher(metrics);
    while (m.find()) {
      String labels = m.group(1);
      if (labels.contains("variant=\"" + variant + "\"")
          && labels.contains("status_class=\"" + statusClass + "\"")) {
        return (long) Double.parseDouble(m.group(2));
      }
    }
    return 0;
  }
}
