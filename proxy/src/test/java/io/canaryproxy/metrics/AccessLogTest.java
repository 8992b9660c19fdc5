package io.canaryproxy.metrics;

import static io.canaryproxy.metrics.LatencyRecordersTest.exchange;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.AccessLogConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.routing.Variant;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AccessLogTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;

  private static Exchange sample(String path) {
    Exchange x = exchange(Variant.CANARY, 200, 30_000_000L, 25_000_000L);
    x.method = "GET";
    x.path(path);
    x.bytesIn = 12;
    x.bytesOut = 3456;
    x.mirrored = true;
    x.route.bucket = 4321;
    x.route.userKey("alice@example.com");
    return x;
  }

  private List<JsonNode> lines(Path file) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void writesOneJsonLinePerRequestWithAllFieldsButTheUserKey() throws Exception {
    Path file = dir.resolve("access.log");
    AccessLog log = new AccessLog(new AccessLogConfig(true, file, 1.0, false));
    log.onExchangeComplete(sample("/a \"quoted\"\npath"));
    log.onExchangeComplete(sample("/b"));
    log.close();

    List<JsonNode> lines = lines(file);

    assertThat(lines).hasSize(2);
    JsonNode first = lines.get(0);
    assertThat(Instant.parse(first.get("time").asText()))
        .isBetween(Instant.now().minusSeconds(60), Instant.now());
    assertThat(first.get("variant").asText()).isEqualTo("canary");
    assertThat(first.get("method").asText()).isEqualTo("GET");
    assertThat(first.get("path").asText()).isEqualTo("/a \"quoted\"\npath");
    assertThat(first.get("status").asInt()).isEqualTo(200);
    assertThat(first.get("bytesIn").asLong()).isEqualTo(12);
    assertThat(first.get("bytesOut").asLong()).isEqualTo(3456);
    assertThat(first.get("totalUs").asLong()).isEqualTo(30_000);
    assertThat(first.get("upstreamUs").asLong()).isEqualTo(25_000);
    assertThat(first.get("mirrored").asBoolean()).isTrue();
    assertThat(first.get("bucket").asInt()).isEqualTo(4321);
    assertThat(first.has("userKey")).isFalse();
    assertThat(first.has("grpcStatus")).as("not a gRPC call").isFalse();
    assertThat(lines.get(1).get("path").asText()).isEqualTo("/b");
  }

  @Test
  void aGrpcCallIsLoggedWithItsStatus() throws Exception {
    Path file = dir.resolve("grpc.log");
    AccessLog log = new AccessLog(new AccessLogConfig(true, file, 1.0, false));
    Exchange call = sample("/pkg.Service/Method");
    call.grpcStatus = io.canaryproxy.grpc.GrpcStatus.UNAVAILABLE;
    log.onExchangeComplete(call);
    log.close();

    assertThat(lines(file))
        .singleElement()
        .satisfies(n -> assertThat(n.get("grpcStatus").asText()).isEqualTo("UNAVAILABLE"));
  }

  @Test
  void userKeyIsWrittenOnlyWhenEnabled() throws Exception {
    Path file = dir.resolve("with-user.log");
    AccessLog log = new AccessLog(new AccessLogConfig(true, file, 1.0, true));
    log.onExchangeComplete(sample("/"));
    log.close();

    assertThat(lines(file))
        .singleElement()
        .satisfies(n -> assertThat(n.get("userKey").asText()).isEqualTo("alice@example.com"));
  }

  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void sampleRateZeroOrDisabledWritesNothing(boolean enabled) throws Exception {
    Path file = dir.resolve("none.log");
    AccessLog log = new AccessLog(new AccessLogConfig(enabled, file, enabled ? 0.0 : 1.0, false));
    for (int i = 0; i < 1_000; i++) {
      log.onExchangeComplete(sample("/" + i));
    }
    log.close();

    assertThat(!Files.exists(file) || Files.size(file) == 0).isTrue();
  }

  @Test
  void aFullQueueDropsAndCountsInsteadOfBlocking() throws Exception {
    CountDownLatch writerEntered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    StringWriter sink = new StringWriter();
    Writer blocking =
        new Writer() {
          @Override
          public void write(char[] buf, int off, int len) {
            writerEntered.countDown();
            try {
              release.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            sink.write(buf, off, len);
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        };
    AccessLog log = new AccessLog(new AccessLogConfig(true, null, 1.0, false), 4, blocking, false);
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    log.bindTo(registry);
    log.onExchangeComplete(sample("/first"));
    await().atMost(Duration.ofSeconds(5)).until(() -> writerEntered.getCount() == 0);

    for (int i = 0; i < 10; i++) {
      log.onExchangeComplete(sample("/more"));
    }

    assertThat(log.dropped()).isEqualTo(6);
    assertThat(PrometheusText.parseStrict(registry.scrape()))
        .contains(
            new PrometheusText.Sample("canary_proxy_access_log_dropped_total", Map.of(), 6.0));
    release.countDown();
    log.close();
    assertThat(sink.toString().lines()).hasSize(5);
  }

  @Test
  void sampleRateOutsideZeroToOneIsRejected() {
    assertThatThrownBy(() -> new AccessLog(new AccessLogConfig(true, null, 1.5, false)))
        .hasMessage("accessLog.sampleRate: 1.5 (expected: 0..1)");
  }
}
