package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.InetSocketAddress;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The rollout lifecycle over real loopback sockets: restart and history through the admin API, the
 * progress deadline, gates answered by real HTTP servers (one that refuses, one that never
 * answers), and new-revision detection from a canary response header and from a polled URL.
 */
class RolloutLifecycleIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final String TOKEN = "lifecycle-token";

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<JsonNode> hookEvents = new CopyOnWriteArrayList<>();
  private final AtomicReference<String> canaryVersion = new AtomicReference<>("v1");
  private final AtomicBoolean gateOpen = new AtomicBoolean();
  private final List<String> gateBodies = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private StubServer stable;
  private StubServer canary;
  private HttpServer side;
  private CanaryProxy proxy;

  @BeforeEach
  void startBackends() throws Exception {
    stable =
        StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n"));
    canary =
        StubServer.start(
            (ctx, req) ->
                StubServer.reply(
                    ctx, HttpResponseStatus.OK, "canary\n", "x-app-version", canaryVersion.get()));
    side = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    side.createContext(
        "/hook",
        exchange -> {
          hookEvents.add(MAPPER.readTree(exchange.getRequestBody().readAllBytes()));
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    side.createContext(
        "/gate",
        exchange -> {
          gateBodies.add(
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
          exchange.sendResponseHeaders(gateOpen.get() ? 200 : 503, -1);
          exchange.close();
        });
    side.createContext(
        "/version",
        exchange -> {
          byte[] body =
              ("{\"version\": \"" + canaryVersion.get() + "\", \"build\": 7}")
                  .getBytes(StandardCharsets.UTF_8);
          exchange.sendResponseHeaders(200, body.length);
          exchange.getResponseBody().write(body);
          exchange.close();
        });
    side.start();
    Files.writeString(dir.resolve("token"), TOKEN + "\n");
  }

  @AfterEach
  void stopAll() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    if (proxy != null) {
      proxy.close();
    }
    side.stop(0);
    canary.close();
    stable.close();
  }

  @Test
  void aRolloutStoppedByItsProgressDeadlineIsRestartedThroughTheApiAndKeptInTheHistory()
      throws Exception {
    proxy =
        start(
            """
              progressDeadline: 3s
              onProgressDeadline: rollback
            """);
    ClientLoad load = load();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "rolledBack".equals(status().path("state").asText()));
    JsonNode rolledBack = status();
    assertThat(rolledBack.path("reason").asText())
        .startsWith("progress deadline: step 0 has not advanced in");
    assertThat(rolledBack.path("canaryPercent").asDouble()).isZero();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> hookTypes().containsAll(List.of("progressDeadline", "rolledBack")));
    assertThat(hookTypes()).containsSubsequence("progressDeadline", "rolledBack");

    assertThat(post("/admin/rollout/restart", null).statusCode()).isEqualTo(401);
    assertThat(get("/admin/rollout/restart").statusCode()).isEqualTo(405);
    int canaryBefore = canary.received().size();
    HttpResponse<String> restarted = post("/admin/rollout/restart", TOKEN);

    assertThat(restarted.statusCode()).as(restarted.body()).isEqualTo(200);
    JsonNode after = MAPPER.readTree(restarted.body()).path("status");
    assertThat(after.path("state").asText()).isEqualTo("progressing");
    assertThat(after.path("step").asInt()).isZero();
    assertThat(after.path("canaryPercent").asDouble()).isEqualTo(10.0);
    assertThat(after.path("attempt").asInt()).isEqualTo(2);
    // held there (the deadline would roll the new attempt back too), users reach the canary again
    assertThat(post("/admin/rollout/pause", TOKEN).statusCode()).isEqualTo(200);
    assertThat(status().path("canaryPercent").asDouble()).isEqualTo(10.0);
    await().atMost(Duration.ofSeconds(30)).until(() -> canary.received().size() > canaryBefore);
    await().atMost(Duration.ofSeconds(30)).until(() -> hookTypes().contains("restarted"));

    JsonNode history = MAPPER.readTree(get("/admin/rollout/history").body());
    assertThat(history.path("current").path("attempt").asInt()).isEqualTo(2);
    JsonNode first = history.path("rollouts").get(0);
    assertThat(history.path("rollouts")).hasSize(1);
    assertThat(first.path("attempt").asInt()).isEqualTo(1);
    assertThat(first.path("outcome").asText()).isEqualTo("rolledBack");
    assertThat(first.path("reason").asText()).startsWith("progress deadline");
    assertThat(first.path("startedAt").asText()).isNotEmpty();
    assertThat(first.path("endedAt").asText()).isNotEmpty();
    assertThat(first.path("verdicts").size()).isPositive();

    // the state file holds the history too
    JsonNode file = MAPPER.readTree(dir.resolve("rollout-state.json").toFile());
    assertThat(file.path("history").get(0).path("outcome").asText()).isEqualTo("rolledBack");
    load.close();
  }

  @Test
  void gatesHoldTheCanaryAtZeroThenAtItsStepUntilTheyAnswer2xx() throws Exception {
    RawBackend silent = new RawBackend((conn, index, request) -> RawBackend.Reply.silence());
    toClose.add(silent);
    proxy =
        start(
            """
              gates:
                preRollout: [{ url: "http://127.0.0.1:%d/gate", timeout: 2s, retries: 1 }]
                preStep: [{ url: "http://%s/slow-gate", timeout: 300ms, retries: 0 }]
            """
                .formatted(side.getAddress().getPort(), silent.endpoint()),
            "1s");
    ClientLoad load = load();

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> status().path("gate").path("lastFailure").asText().contains("status 503"));
    assertThat(status().path("gate").path("stage").asText()).isEqualTo("preRollout");
    await().atMost(Duration.ofSeconds(30)).until(() -> load.completed() >= 300);
    assertThat(canary.received()).isEmpty();
    assertThat(status().path("canaryPercent").asDouble()).isZero();
    assertThat(status().path("state").asText()).isEqualTo("progressing");
    await().atMost(Duration.ofSeconds(30)).until(() -> hookTypes().contains("gateFailed"));
    assertThat(gateBodies).contains("{\"gate\":\"preRollout\"}");

    gateOpen.set(true);

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> status().path("canaryPercent").asDouble() == 10.0);
    await().atMost(Duration.ofSeconds(30)).until(() -> !canary.received().isEmpty());
    // past stepInterval the PASS looks ask the pre-step gate, which never answers: a timeout
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> status().path("gate").path("lastFailure").asText().contains("timed out"));
    assertThat(status().path("gate").path("stage").asText()).isEqualTo("preStep");
    assertThat(status().path("step").asInt()).isZero();
    assertThat(status().path("canaryPercent").asDouble()).isEqualTo(10.0);

    // an operator's promote skips the gates
    HttpResponse<String> promoted = post("/admin/rollout/promote", TOKEN);
    assertThat(promoted.statusCode()).as(promoted.body()).isEqualTo(200);
    assertThat(status().path("canaryPercent").asDouble()).isEqualTo(50.0);
    assertThat(status().path("gate").isNull()).isTrue();
    load.close();
  }

  @Test
  void aNewVersionInTheCanaryResponseHeaderStartsANewRolloutAfterARollback() throws Exception {
    proxy =
        start(
            """
              revision: { header: x-app-version }
            """);
    ClientLoad load = load();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "v1".equals(status().path("revision").asText()));
    load.close();
    assertThat(post("/admin/rollout/rollback", TOKEN).statusCode()).isEqualTo(200);

    // a fixed canary is deployed; a probe forced to the canary sees its version
    canaryVersion.set("v2");
    HttpResponse<String> probe =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/probe"))
                .header("x-canary", "canary")
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(probe.body()).isEqualTo("canary\n");

    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> "progressing".equals(status().path("state").asText()));
    JsonNode s = status();
    assertThat(s.path("revision").asText()).isEqualTo("v2");
    assertThat(s.path("attempt").asInt()).isEqualTo(2);
    assertThat(s.path("canaryPercent").asDouble()).isEqualTo(10.0);
    assertThat(s.path("reason").asText()).isEqualTo("new canary revision v2 (was v1)");
    JsonNode previous = s.path("history").get(0);
    assertThat(previous.path("revision").asText()).isEqualTo("v1");
    assertThat(previous.path("outcome").asText()).isEqualTo("rolledBack");
  }

  @Test
  void aNewVersionAtThePolledUrlStartsANewRollout() throws Exception {
    proxy =
        start(
            """
              revision: { url: "http://127.0.0.1:%d/version", jsonField: version, interval: 200ms }
            """
                .formatted(side.getAddress().getPort()));
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "v1".equals(status().path("revision").asText()));
    assertThat(status().path("attempt").asInt()).isEqualTo(1);

    canaryVersion.set("v2");

    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> "v2".equals(status().path("revision").asText()));
    assertThat(status().path("attempt").asInt()).isEqualTo(2);
    assertThat(status().path("history").get(0).path("outcome").asText()).isEqualTo("superseded");
  }

  private CanaryProxy start(String lifecycleYaml) throws Exception {
    return start(lifecycleYaml, "10m");
  }

  /** A proxy whose rollout holds its first step for {@code stepInterval}, plus the given keys. */
  private CanaryProxy start(String lifecycleYaml, String stepInterval) throws Exception {
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0, tokenFile: "%s" }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing:
          userKey: [{ header: x-user-id }]
          salt: "lifecycle-it"
          override: { header: x-canary, trustedCidrs: ["127.0.0.1/32"] }
        rollout:
          steps: [10, 50, 100]
          stepInterval: %s
          analysis:
            interval: 300ms
            minRequests: 5
            latency: { percentile: 50, maxRatio: 50 }
            errorRate: { maxIncrease: 0.5 }
          stateFile: "%s"
          webhook: "http://127.0.0.1:%d/hook"
        %s
        """
            .formatted(
                dir.resolve("token"),
                stable.endpoint(),
                canary.endpoint(),
                stepInterval,
                dir.resolve("rollout-state.json"),
                side.getAddress().getPort(),
                lifecycleYaml.stripTrailing());
    return new CanaryProxy(ConfigLoader.parse(yaml)).start();
  }

  private ClientLoad load() {
    ClientLoad load =
        new ClientLoad(
            URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/"),
            2,
            500,
            Long.MAX_VALUE,
            Duration.ofSeconds(60));
    toClose.add(load);
    return load;
  }

  private List<String> hookTypes() {
    return hookEvents.stream().map(e -> e.path("type").asText()).toList();
  }

  private JsonNode status() throws Exception {
    HttpResponse<String> r = get("/admin/rollout");
    assertThat(r.statusCode()).isEqualTo(200);
    return MAPPER.readTree(r.body());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
            .timeout(Duration.ofSeconds(5))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
            .timeout(Duration.ofSeconds(5))
            .POST(HttpRequest.BodyPublishers.noBody());
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
