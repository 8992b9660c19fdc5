package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.HistogramLogReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The whole proxy with a canary 30 ms slower than stable: what /admin/stats, /admin/histograms and
 * /metrics show.
 */
class LatencyEndToEndIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();
  private StubServer stable;
  private StubServer canary;
  private CanaryProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    stable.close();
    canary.close();
  }

  @Test
  void canaryLatencyIsVisibleInStatsHistogramsAndMetrics() throws Exception {
    stable = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable"));
    canary =
        StubServer.start(
            StubServer.delayed(
                30, (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "canary")));
    proxy =
        new CanaryProxy(
                ConfigLoader.parse(
                    """
                    listen: 127.0.0.1:0
                    ioThreads: 1
                    admin: { listen: 127.0.0.1:0 }
                    backends:
                      stable: { endpoints: ["%s"] }
                      canary: { endpoints: ["%s"] }
                    routing:
                      userKey: [ { header: x-user-id } ]
                      canaryPercent: 50
                      salt: "e2e"
                    metrics: { interval: 500ms, window: 10 }
                    """
                        .formatted(stable.endpoint(), canary.endpoint())))
            .start();
    String base = "http://127.0.0.1:" + proxy.proxyPort();
    for (int i = 0; i < 120; i++) {
      var r =
          client.send(
              HttpRequest.newBuilder(URI.create(base + "/item/" + i + "?q=" + i))
                  .header("x-user-id", "user-" + i)
                  .build(),
              BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
    }
    String admin = "http://127.0.0.1:" + proxy.adminPort();
    // Since-start figures cover closed intervals; wait until every request is in one.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              JsonNode v = stats(admin).path("variants");
              return v.path("stable").path("requests").asLong()
                      + v.path("canary").path("requests").asLong()
                  == 120;
            });
    JsonNode variants = stats(admin).path("variants");
    long canaryRequests = variants.path("canary").path("requests").asLong();
    assertThat(canaryRequests).isEqualTo(canary.received().size()).isPositive();
    assertThat(variants.path("canary").path("latencyMs").path("p50").asDouble())
        .isGreaterThanOrEqualTo(30.0);
    assertThat(variants.path("stable").path("latencyMs").path("p50").asDouble()).isLessThan(15.0);

    String log = get(admin + "/admin/histograms?variant=canary");
    HistogramLogReader reader =
        new HistogramLogReader(new ByteArrayInputStream(log.getBytes(StandardCharsets.UTF_8)));
    long total = 0;
    EncodableHistogram h;
    while ((h = reader.nextIntervalHistogram()) != null) {
      total += ((org.HdrHistogram.Histogram) h).getTotalCount();
    }
    assertThat(total).isEqualTo(canaryRequests);

    String metrics = get(admin + "/metrics");
    assertThat(metrics)
        .contains(
            "canary_proxy_requests_total{grpc_status=\"none\",status_class=\"2xx\",variant=\"canary\"} "
                + canaryRequests
                + ".0");
    assertThat(metrics).doesNotContain("/item/").doesNotContain("user-");
  }

  private JsonNode stats(String admin) throws Exception {
    return JSON.readTree(get(admin + "/admin/stats"));
  }

  private String get(String url) throws Exception {
    return client
        .send(HttpRequest.newBuilder(URI.create(url)).build(), BodyHandlers.ofString())
        .body();
  }
}
