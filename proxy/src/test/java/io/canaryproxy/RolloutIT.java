package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole rollout loop over real loopback sockets: client load through a started {@link
 * CanaryProxy} to stub stable and canary backends, the judge on 500 ms intervals, the admin API and
 * the webhook.
 */
class RolloutIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final int FAILURE_THRESHOLD = 2;
  private static final long STABLE_MILLIS = 5;
  private static final String TOKEN = "s3cret-token";

  /**
   * Bounds on the canary requests judged between a change and the rollback. They count requests,
   * not looks, because the looks a change takes depend on how many requests each 500 ms look gets
   * on a busy machine (2 to 50 here); only the last 20 verdicts are kept, so a bound of 20 looks
   * could never fail. Measured under a load average of 20: 81 to 117 for the slow canary.
   */
  private static final long MAX_CANARY_AFTER_SLOW = 200;

  private static final long MAX_CANARY_AFTER_ERRORS = 1_000;

  @TempDir Path dir;

  private final AtomicLong canaryDelayMillis = new AtomicLong(STABLE_MILLIS);

  /** Every n-th canary answer is a 500; 0 for none. */
  private final AtomicLong canaryErrorEvery = new AtomicLong();

  private final AtomicLong canaryAnswers = new AtomicLong();
  private final List<JsonNode> hookEvents = new CopyOnWriteArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  private StubServer stable;
  private StubServer canary;
  private HttpServer hook;
  private CanaryProxy proxy;

  @BeforeEach
  void startBackends() throws Exception {
    stable =
        StubServer.start(
            StubServer.delayed(
                STABLE_MILLIS,
                (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n")));
    canary =
        StubServer.start(
            (ctx, req) -> {
              long every = canaryErrorEvery.get();
              boolean error = every > 0 && canaryAnswers.incrementAndGet() % every == 0;
              HttpResponseStatus status =
                  error ? HttpResponseStatus.INTERNAL_SERVER_ERROR : HttpResponseStatus.OK;
              ctx.executor()
                  .schedule(
                      () -> StubServer.reply(ctx, status, "canary\n"),
                      canaryDelayMillis.get(),
                      TimeUnit.MILLISECONDS);
            });
    hook = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    hook.createContext(
        "/hook",
        exchange -> {
          hookEvents.add(MAPPER.readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    hook.start();
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (proxy != null) {
      proxy.close();
    }
    hook.stop(0);
    canary.close();
    stable.close();
  }

  @Test
  void healthyCanaryIsPromotedThroughEveryStep() throws Exception {
    ProxyConfig config = config(false);
    proxy = new CanaryProxy(config).start();
    load(40_000);

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> "promoted".equals(status().path("state").asText()));

    JsonNode status = status();
    assertThat(status.path("canaryPercent").asDouble()).isEqualTo(100.0);
    assertThat(canary.received()).isNotEmpty();
    await().atMost(Duration.ofSeconds(5)).until(() -> hookTypes().contains("promoted"));
    assertThat(hookTypes())
        .containsSubsequence("started", "stepAdvanced", "promoted")
        .doesNotContain("rolledBack");
    assertThat(hookEvents)
        .filteredOn(e -> e.path("type").asText().equals("stepAdvanced"))
        .extracting(e -> e.path("canaryPercent").asDouble())
        .containsExactly(50.0);
  }

  @Test
  void canaryThatTurnsSlowIsRolledBackAndGetsNoMoreTraffic() throws Exception {
    proxy = new CanaryProxy(config(false, "60s")).start();
    ClientLoad load = load(60_000);
    awaitFirstPass();

    long judgedBefore = canaryRequestsJudged();
    canaryDelayMillis.set(4 * STABLE_MILLIS); // 4x slower: far beyond the tolerated 1.5x

    awaitRolledBack();
    // the recent windows keep the healthy start of the step from diluting the change: two FAIL
    // looks on a window of at least 20 slow canary requests, behind at most two blocks of 3 looks
    assertThat(canaryRequestsJudged() - judgedBefore)
        .as("canary requests judged between the change and the rollback")
        .isLessThanOrEqualTo(MAX_CANARY_AFTER_SLOW);
    // Inconclusive intervals neither count nor reset the run of failures, so the last conclusive
    // ones decide.
    List<JsonNode> all = conclusive(verdicts());
    assertThat(all.subList(all.size() - FAILURE_THRESHOLD, all.size()))
        .allSatisfy(
            v -> {
              assertThat(v.path("outcome").asText()).isEqualTo("FAIL");
              assertThat(v.path("reason").asText()).contains("p90");
            });
    assertCanaryGetsNothingMore(load);

    await().atMost(Duration.ofSeconds(5)).until(() -> hookTypes().contains("rolledBack"));
    JsonNode rolledBack =
        hookEvents.stream()
            .filter(e -> e.path("type").asText().equals("rolledBack"))
            .findFirst()
            .orElseThrow();
    assertThat(rolledBack.path("manual").asBoolean()).isFalse();
    assertThat(rolledBack.path("canaryPercent").asDouble()).isZero();
    assertThat(rolledBack.path("verdict").path("outcome").asText()).isEqualTo("FAIL");
    assertThat(hookTypes()).contains("verdictFailed");
  }

  @Test
  void canaryReturningErrorsIsRolledBackAndStaysRolledBackAfterRestart() throws Exception {
    ProxyConfig config = config(false, "60s");
    proxy = new CanaryProxy(config).start();
    ClientLoad load = load(60_000);
    awaitFirstPass();

    Instant change = Instant.now();
    long judgedBefore = canaryRequestsJudged();
    canaryErrorEvery.set(20); // exactly 5% of canary answers are 500

    awaitRolledBack();
    List<JsonNode> judgedAfter = verdictsAfter(change);
    // 5% against a tolerated 2% takes a few hundred canary requests to show at the windows' level
    assertThat(canaryRequestsJudged() - judgedBefore)
        .as("canary requests judged between the change and the rollback")
        .isLessThanOrEqualTo(MAX_CANARY_AFTER_ERRORS);
    assertThat(judgedAfter.get(judgedAfter.size() - 1).path("reason").asText())
        .contains("worse beyond tolerance (errors)");
    assertCanaryGetsNothingMore(load);
    load.close();

    proxy.close();
    proxy = new CanaryProxy(config).start();
    JsonNode restarted = status();
    assertThat(restarted.path("state").asText()).isEqualTo("rolledBack");
    assertThat(restarted.path("canaryPercent").asDouble()).isZero();
    int canaryBefore = canary.received().size();
    ClientLoad after = load(2_000);
    await().atMost(Duration.ofSeconds(20)).until(() -> after.completed() + after.failed() >= 2_000);
    assertThat(after.completed()).isEqualTo(2_000);
    assertThat(canary.received()).hasSize(canaryBefore);
    assertThat(after.canaryResponses()).isZero();
  }

  @Test
  void adminApiPausesResumesPromotesAndRollsBackWithTheToken() throws Exception {
    Path tokenFile = dir.resolve("admin-token");
    Files.writeString(tokenFile, TOKEN + "\n");
    proxy = new CanaryProxy(config(true)).start();

    assertThat(post("pause", null).statusCode()).isEqualTo(401);
    assertThat(post("pause", "wrong").statusCode()).isEqualTo(401);
    assertThat(status().path("state").asText()).isEqualTo("progressing");
    HttpResponse<String> get =
        http.send(
            HttpRequest.newBuilder(adminUri("/admin/rollout/pause")).GET().build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);

    assertOperation("pause", 200, "paused");
    assertOperation("pause", 409, "paused");
    assertOperation("resume", 200, "progressing");
    assertOperation("promote", 200, "progressing");
    assertThat(status().path("canaryPercent").asDouble()).isEqualTo(50.0);
    sendAndAwait(400);
    int canaryAtHalf = canary.received().size();
    assertThat(canaryAtHalf).isBetween(100, 300);

    assertOperation("rollback", 200, "rolledBack");
    assertThat(status().path("canaryPercent").asDouble()).isZero();
    sendAndAwait(400);
    assertThat(canary.received()).hasSize(canaryAtHalf);
    assertOperation("promote", 409, "rolledBack");
  }

  private void assertOperation(String operation, int expectedStatus, String expectedState)
      throws Exception {
    HttpResponse<String> response = post(operation, TOKEN);
    assertThat(response.statusCode())
        .as(operation + ": " + response.body())
        .isEqualTo(expectedStatus);
    assertThat(MAPPER.readTree(response.body()).path("status").path("state").asText())
        .isEqualTo(expectedState);
    assertThat(status().path("state").asText()).isEqualTo(expectedState);
  }

  private void sendAndAwait(int requests) throws Exception {
    try (ClientLoad load = load(requests)) {
      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> load.completed() + load.failed() >= requests);
      assertThat(load.completed()).isEqualTo(requests);
    }
  }

  /** After the rollback, load goes on but the canary stub receives nothing more. */
  private void assertCanaryGetsNothingMore(ClientLoad load) {
    assertThat(status().path("canaryPercent").asDouble()).isZero();
    int canaryAtRollback = canary.received().size();
    long completedAtRollback = load.completed();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> load.completed() >= completedAtRollback + 1_000);
    assertThat(canary.received()).hasSize(canaryAtRollback);
  }

  private void awaitFirstPass() {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> verdicts().stream().anyMatch(v -> v.path("outcome").asText().equals("PASS")));
    assertThat(status().path("state").asText()).isEqualTo("progressing");
  }

  private void awaitRolledBack() {
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> "rolledBack".equals(status().path("state").asText()));
  }

  /** Canary requests in the step's evidence at the last look, or 0 before the first. */
  private long canaryRequestsJudged() {
    List<JsonNode> all = verdicts();
    return all.isEmpty()
        ? 0
        : all.get(all.size() - 1).path("evidence").path("canaryRequests").asLong();
  }

  private List<JsonNode> verdictsAfter(Instant change) {
    return verdicts().stream()
        .filter(v -> Instant.parse(v.path("at").asText()).isAfter(change))
        .toList();
  }

  private List<JsonNode> verdicts() {
    List<JsonNode> list = new ArrayList<>();
    status().path("verdicts").forEach(list::add);
    return list;
  }

  private List<String> hookTypes() {
    return hookEvents.stream().map(e -> e.path("type").asText()).toList();
  }

  private ClientLoad load(long maxRequests) {
    ClientLoad load =
        new ClientLoad(
            URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/"),
            8,
            1000,
            maxRequests,
            Duration.ofSeconds(40));
    toClose.add(load);
    return load;
  }

  private JsonNode status() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(adminUri("/admin/rollout")).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private HttpResponse<String> post(String operation, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(adminUri("/admin/rollout/" + operation))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + proxy.adminPort() + path);
  }

  /** The config with {@code stepInterval: 2s}, so a healthy canary is promoted within seconds. */
  private ProxyConfig config(boolean withToken) throws Exception {
    return config(withToken, "2s");
  }

  /**
   * The config; a long {@code stepInterval} keeps the canary at its first step (10%), so that a
   * regression test cannot race a promotion. The judged percentile is p90: a 500 ms interval gives
   * the 10% canary about 35 samples, where p99 is the single slowest request, and one scheduling
   * hiccup on a small shared machine would decide it.
   */
  private static List<JsonNode> conclusive(List<JsonNode> verdicts) {
    return verdicts.stream()
        .filter(v -> !v.path("outcome").asText().equals("INCONCLUSIVE"))
        .toList();
  }

  private ProxyConfig config(boolean withToken, String stepInterval) throws Exception {
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin:
          listen: 127.0.0.1:0
        %s
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing:
          userKey:
            - header: x-user-id
          salt: "rollout-it"
          exposeVariantHeader: true
        rollout:
          steps: [10, 50, 100]
          stepInterval: %s
          analysis:
            interval: 500ms
            minRequests: 20
            latency: { percentile: 90, maxRatio: 1.5 }
            errorRate: { maxIncrease: 0.02 }
            failureThreshold: %d
          onFailure: rollback
          stateFile: "%s"
          webhook: "http://127.0.0.1:%d/hook"
        """
            .formatted(
                withToken ? "  tokenFile: \"" + dir.resolve("admin-token") + "\"" : "",
                stable.endpoint(),
                canary.endpoint(),
                stepInterval,
                FAILURE_THRESHOLD,
                dir.resolve("rollout-state.json"),
                hook.getAddress().getPort());
    return ConfigLoader.parse(yaml);
  }
}
