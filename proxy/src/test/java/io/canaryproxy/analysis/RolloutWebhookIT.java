package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.RolloutFixture.REGRESSED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rollout webhook against a real HTTP server on a loopback port. */
class RolloutWebhookIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  private HttpServer server;
  private WebhookNotifier notifier;
  private final List<JsonNode> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();

  private URI startServer(int failFirst, CountDownLatch hold) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/hook", exchange -> handle(exchange, failFirst, hold));
    server.start();
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
  }

  private void handle(HttpExchange exchange, int failFirst, CountDownLatch hold)
      throws IOException {
    byte[] body = exchange.getRequestBody().readAllBytes();
    int n = requests.incrementAndGet();
    try {
      if (hold != null) {
        hold.await(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    boolean fail = n <= failFirst;
    if (!fail
        && "POST".equals(exchange.getRequestMethod())
        && exchange.getRequestHeaders().getFirst("Content-Type").equals("application/json")) {
      received.add(MAPPER.readTree(new String(body, StandardCharsets.UTF_8)));
    }
    exchange.sendResponseHeaders(fail ? 500 : 204, -1);
    exchange.close();
  }

  @AfterEach
  void stop() {
    if (notifier != null) {
      notifier.close();
    }
    if (server != null) {
      server.stop(0);
    }
  }

  @Test
  void eventsArriveInTheOrderTheyHappenedEvenWhenTheFirstNeedsARetry() throws IOException {
    // The first attempt of the first event fails and is retried after 300 ms; the second event
    // must still arrive after it (sent at once, it would have been delivered first).
    URI uri = startServer(1, null);
    notifier = new WebhookNotifier(uri, Duration.ofSeconds(2), 3, Duration.ofMillis(300), 256);
    notifier.onEvent(event(RolloutEvent.Type.VERDICT_FAILED, "first"));
    notifier.onEvent(event(RolloutEvent.Type.ROLLED_BACK, "second"));
    await().atMost(Duration.ofSeconds(20)).until(() -> received.size() == 2);
    assertThat(received.stream().map(e -> e.path("reason").asText()).toList())
        .containsExactly("first", "second");
    assertThat(requests.get()).isEqualTo(3);
  }

  private static RolloutEvent event(RolloutEvent.Type type, String reason) {
    return new RolloutEvent(
        type,
        "2026-12-02T00:00:00Z",
        RolloutState.PROGRESSING,
        RolloutState.PROGRESSING,
        10,
        0,
        false,
        reason,
        null);
  }

  @Test
  void rollbackEventsArePostedAndFailedAttemptsRetried() throws IOException {
    URI uri = startServer(1, null);
    notifier = new WebhookNotifier(uri, Duration.ofSeconds(2), 3, Duration.ofMillis(20), 256);
    RolloutFixture f =
        new RolloutFixture(
            List.of(10.0, 100.0), OnFailure.ROLLBACK, dir.resolve("s.json"), false, uri, notifier);

    f.controller.start();
    for (int i = 0; i < 3; i++) {
      f.interval(REGRESSED);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> received.size() == 5);
    assertThat(received)
        .extracting(j -> j.get("type").asText())
        .containsExactlyInAnyOrder(
            "started", "verdictFailed", "verdictFailed", "verdictFailed", "rolledBack");
    assertThat(requests.get()).as("the first attempt got a 500 and was retried").isEqualTo(6);
    JsonNode rolledBack =
        received.stream()
            .filter(j -> j.get("type").asText().equals("rolledBack"))
            .findFirst()
            .orElseThrow();
    assertThat(rolledBack.get("state").asText()).isEqualTo("rolledBack");
    assertThat(rolledBack.get("previousState").asText()).isEqualTo("progressing");
    assertThat(rolledBack.get("canaryPercent").asDouble()).isZero();
    assertThat(rolledBack.get("manual").asBoolean()).isFalse();
    assertThat(rolledBack.get("verdict").get("outcome").asText()).isEqualTo("FAIL");
    // the receiver records a body before it answers; the notifier counts it once the answer is read
    await().atMost(Duration.ofSeconds(10)).until(() -> notifier.delivered() == 5);
  }

  @Test
  void aSlowReceiverNeverBlocksTheControllerAndOverflowIsDropped() throws IOException {
    CountDownLatch hold = new CountDownLatch(1);
    URI uri = startServer(0, hold);
    notifier = new WebhookNotifier(uri, Duration.ofSeconds(5), 0, Duration.ofMillis(20), 1);
    RolloutFixture f =
        new RolloutFixture(
            List.of(10.0, 100.0), OnFailure.ROLLBACK, dir.resolve("s.json"), false, uri, notifier);

    f.controller.start(); // "started" is in flight, held by the server
    assertThat(f.controller.pause().ok()).isTrue(); // "paused" finds the queue full
    assertThat(f.controller.resume().ok()).isTrue(); // so does "resumed"

    assertThat(notifier.dropped()).isEqualTo(2);
    hold.countDown();
    await().atMost(Duration.ofSeconds(10)).until(() -> notifier.delivered() == 1);
    assertThat(received).extracting(j -> j.get("type").asText()).containsExactly("started");
  }

  @Test
  void anUnreachableReceiverIsRetriedThenGivenUp() throws IOException {
    URI uri = startServer(0, null);
    server.stop(0); // nothing listens on that port any more
    server = null;
    notifier = new WebhookNotifier(uri, Duration.ofSeconds(2), 2, Duration.ofMillis(10), 256);
    RolloutFixture f =
        new RolloutFixture(
            List.of(10.0, 100.0), OnFailure.ROLLBACK, dir.resolve("s.json"), false, uri, notifier);

    f.controller.start();
    assertThat(f.controller.rollback().ok()).isTrue();

    await().atMost(Duration.ofSeconds(10)).until(() -> notifier.failed() == 2);
    assertThat(notifier.delivered()).isZero();
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
  }
}
