package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.metrics.PrometheusText;
import io.canaryproxy.metrics.PrometheusText.Sample;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
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

    // The duration histograms, in both exposition formats: every canary request took >= 30 ms.
    String openMetrics =
        client
            .send(
                HttpRequest.newBuilder(URI.create(admin + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0")
                    .build(),
                BodyHandlers.ofString())
            .body();
    assertThat(openMetrics).endsWith("# EOF\n");
    long stableRequests = 120 - canaryRequests;
    for (String scrape : List.of(metrics, openMetrics)) {
      // Only these families' lines: OpenMetrics has comment lines the strict 0.0.4 reader rejects.
      List<Sample> s =
          PrometheusText.parseStrict(
              scrape
                  .lines()
                  .filter(l -> l.contains("_duration_seconds"))
                  .collect(Collectors.joining("\n")));
      for (String family :
          List.of(
              "canary_proxy_request_duration_seconds", "canary_proxy_upstream_duration_seconds")) {
        assertHistogram(s, family, "canary", canaryRequests, 0.030);
        assertHistogram(s, family, "stable", stableRequests, 0.0);
      }
    }
  }

  /**
   * A cumulative histogram of {@code n} durations of at least {@code atLeast} seconds: buckets
   * never decrease, none below {@code atLeast} counts anything, and {@code +Inf} and {@code _count}
   * are {@code n}; {@code _sum} and {@code _max} agree.
   */
  private static void assertHistogram(
      List<Sample> s, String family, String variant, long n, double atLeast) {
    List<Sample> buckets =
        s.stream()
            .filter(
                x ->
                    x.name().equals(family + "_bucket")
                        && x.labels().get("variant").equals(variant))
            .toList();
    assertThat(buckets).as("%s{variant=%s} buckets", family, variant).hasSize(15);
    double previous = 0;
    for (Sample b : buckets) {
      String le = b.labels().get("le");
      assertThat(b.value()).as("%s le=%s", family, le).isGreaterThanOrEqualTo(previous);
      if (!le.equals("+Inf") && Double.parseDouble(le) < atLeast) {
        assertThat(b.value()).as("%s le=%s", family, le).isZero();
      }
      previous = b.value();
    }
    assertThat(buckets.get(14).labels()).containsEntry("le", "+Inf");
    assertThat(buckets.get(14).value()).isEqualTo(n);
    assertThat(one(s, family + "_count", variant)).isEqualTo(n);
    double sum = one(s, family + "_sum", variant);
    double max = one(s, family + "_max", variant);
    assertThat(sum).isGreaterThanOrEqualTo(n * atLeast);
    assertThat(max).isGreaterThanOrEqualTo(atLeast).isLessThanOrEqualTo(sum).isPositive();
  }

  private static double one(List<Sample> s, String name, String variant) {
    List<Sample> found =
        s.stream()
            .filter(x -> x.name().equals(name) && x.labels().equals(Map.of("variant", variant)))
            .toList();
    assertThat(found).as("%s{variant=%s}", name, variant).hasSize(1);
    return found.get(0).value();
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
