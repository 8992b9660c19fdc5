package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.FleetStoreFixture;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rollout per fleet: three {@link CanaryProxy} replicas (in-process, each with its own
 * listeners, event loops, metrics and coordinator) against one fleet store on loopback ports, stub
 * stable and canary backends, client load on every replica. The same scenarios run on every store:
 * {@link FleetIT} (a real etcd) and {@link KubernetesFleetIT} (a Kubernetes API server in CRUD
 * mode).
 */
abstract class FleetScenarios {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long STABLE_MILLIS = 5;

  @TempDir Path dir;

  private final AtomicLong canaryDelayMillis = new AtomicLong(STABLE_MILLIS);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final List<CanaryProxy> replicas = new CopyOnWriteArrayList<>();

  /** Every rollout event of every replica, with the replica's index. */
  private final List<Map.Entry<Integer, RolloutEvent>> events = new CopyOnWriteArrayList<>();

  private FleetStoreFixture store;
  private StubServer stable;
  private StubServer canary;

  @BeforeEach
  void start() throws Exception {
    store = startStore(dir);
    stable =
        StubServer.start(
            StubServer.delayed(
                STABLE_MILLIS,
                (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n")));
    canary =
        StubServer.start(
            (ctx, req) ->
                ctx.executor()
                    .schedule(
                        () -> StubServer.reply(ctx, HttpResponseStatus.OK, "canary\n"),
                        canaryDelayMillis.get(),
                        TimeUnit.MILLISECONDS));
  }

  @AfterEach
  void stop() throws Exception {
    for (int i = toClose.size() - 1; i >= 0; i--) {
      toClose.get(i).close();
    }
    for (CanaryProxy p : replicas) {
      p.close();
    }
    if (canary != null) {
      canary.close();
      stable.close();
    }
    if (store != null) {
      store.close();
    }
  }

  /** Starts the store the replicas share, or skips the test (saying why) when it cannot run. */
  protected abstract FleetStoreFixture startStore(Path dir) throws Exception;

  @Test
  void slowCanaryIsRolledBackByTheWholeFleetAndNoReplicaSendsUsersToItAfterwards()
      throws Exception {
    for (int i = 0; i < 3; i++) {
      replica(i, "60s");
    }
    List<ClientLoad> loads = new ArrayList<>();
    for (CanaryProxy p : replicas) {
      loads.add(load(p, 200_000));
    }
    // the leader judges the sum of the three replicas' intervals
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leaderStatus().path("coordination").path("lastContributors").asInt() == 3);
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> leaderStatus().path("coordination").path("replicas").size() == 3);

    canaryDelayMillis.set(4 * STABLE_MILLIS); // 4x slower: far beyond the tolerated 1.5x

    long[] seen = new long[3];
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(20))
        .until(
            () -> {
              for (int i = 0; i < 3; i++) {
                if (seen[i] == 0 && "rolledBack".equals(status(i).path("state").asText())) {
                  seen[i] = System.nanoTime();
                }
              }
              return seen[0] > 0 && seen[1] > 0 && seen[2] > 0;
            });
    long spread = Math.max(seen[0], Math.max(seen[1], seen[2]));
    spread -= Math.min(seen[0], Math.min(seen[1], seen[2]));
    System.out.printf(
        "FleetIT: rollback seen on all 3 replicas within %d ms%n",
        TimeUnit.NANOSECONDS.toMillis(spread));
    for (CanaryProxy p : replicas) {
      assertThat(p.router().current().canaryPercent()).isZero();
    }
    // only the leader judged and rolled back; the others followed without an event of their own
    assertThat(events)
        .filteredOn(e -> e.getValue().type() == RolloutEvent.Type.ROLLED_BACK)
        .hasSize(1);

    int canaryAtRollback = canary.received().size();
    long[] completed = loads.stream().mapToLong(ClientLoad::completed).toArray();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              for (int i = 0; i < 3; i++) {
                if (loads.get(i).completed() < completed[i] + 500) {
                  return false;
                }
              }
              return true;
            });
    assertThat(canary.received()).hasSize(canaryAtRollback);
    // No request sent to a replica after it was seen rolled back was answered by the canary (one
    // sent before may still be answered after: the canary is slow, that is why it was rolled back).
    for (int i = 0; i < 3; i++) {
      assertThat(loads.get(i).lastCanarySentNanos())
          .as("replica %d: latest request the canary answered was sent before the rollback", i)
          .isLessThanOrEqualTo(seen[i]);
    }
  }

  @Test
  void healthyCanaryIsPromotedByTheWholeFleetInLockstep() throws Exception {
    for (int i = 0; i < 3; i++) {
      replica(i, "2s");
    }
    for (CanaryProxy p : replicas) {
      load(p, 200_000);
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> allIn("promoted"));
    for (CanaryProxy p : replicas) {
      assertThat(p.router().current().canaryPercent()).isEqualTo(100.0);
    }
    // one decision per step for the fleet, not one per replica
    assertThat(events)
        .filteredOn(e -> e.getValue().type() == RolloutEvent.Type.STEP_ADVANCED)
        .extracting(e -> e.getValue().step())
        .containsExactly(1);
    assertThat(events)
        .filteredOn(e -> e.getValue().type() == RolloutEvent.Type.PROMOTED)
        .hasSize(1);
  }

  @Test
  void newLeaderContinuesFromTheStoredStepWithoutRepeatingOrSkippingOne() throws Exception {
    for (int i = 0; i < 3; i++) {
      replica(i, "1s", "[5, 10, 20, 30, 50, 100]", "");
    }
    for (CanaryProxy p : replicas) {
      load(p, 400_000);
    }
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> status(0).path("step").asInt() >= 1);
    int old = leaderIndex();
    replicas.get(old).coordinator().halt(); // as a crash: the lease expires by itself
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> leaderIndex() >= 0 && leaderIndex() != old);
    int next = leaderIndex();
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> "promoted".equals(status(next).path("state").asText()));

    List<Integer> advanced =
        events.stream()
            .filter(e -> e.getValue().type() == RolloutEvent.Type.STEP_ADVANCED)
            .map(e -> e.getValue().step())
            .toList();
    assertThat(advanced).containsExactly(1, 2, 3, 4);
    assertThat(events)
        .filteredOn(e -> e.getValue().type() == RolloutEvent.Type.STEP_ADVANCED)
        .extracting(Map.Entry::getKey)
        .contains(old, next);
    assertThat(events)
        .filteredOn(e -> e.getValue().type() == RolloutEvent.Type.PROMOTED)
        .extracting(Map.Entry::getKey)
        .containsExactly(next);
  }

  @Test
  void replicaCutOffFromTheStoreKeepsRoutingIsStaleThenCatchesUp() throws Exception {
    replica(0, "10m", "[50, 100]", "");
    replica(1, "10m", "[50, 100]", ", failSafe: stable, staleAfter: 1s");
    ClientLoad holding = load(replicas.get(0), 400_000);
    await().atMost(Duration.ofSeconds(20)).until(() -> holding.canaryResponses() > 50);

    store.kill();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> status(0).path("coordination").path("stale").asBoolean());
    assertThat(metric(0, "canary_proxy_coordination_stale")).isEqualTo(1.0);
    // hold: still the last state; the users of the canary stay there
    long canaryWhileStale = holding.canaryResponses();
    await()
        .atMost(Duration.ofSeconds(20))
        .until(() -> holding.canaryResponses() > canaryWhileStale + 50);
    assertThat(replicas.get(0).router().current().canaryPercent()).isEqualTo(50.0);
    assertThat(status(0).path("state").asText()).isEqualTo("progressing");
    HttpResponse<String> refused = post(0, "rollback");
    assertThat(refused.statusCode()).isEqualTo(409);
    assertThat(refused.body()).contains("unreachable");
    assertThat(status(0).path("state").asText()).isEqualTo("progressing");
    // failSafe: stable, after staleAfter: everyone to stable, the rollout state untouched
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> status(1).path("coordination").path("failSafe").asBoolean());
    assertThat(replicas.get(1).router().current().canaryPercent()).isZero();
    assertThat(get(0, "/readyz").statusCode()).isEqualTo(200);

    store.restart();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () ->
                !status(0).path("coordination").path("stale").asBoolean()
                    && !status(1).path("coordination").path("stale").asBoolean());
    assertThat(replicas.get(1).router().current().canaryPercent()).isEqualTo(50.0);
    assertThat(metric(0, "canary_proxy_coordination_stale")).isZero();
    // a leader again: the one whose lease survived the outage, or a new one
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> leaderIndex() >= 0);
    // following again: an operator call on one replica reaches the other
    assertThat(post(0, "rollback").statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> "rolledBack".equals(status(1).path("state").asText()));
    assertThat(replicas.get(1).router().current().canaryPercent()).isZero();
  }

  @Test
  void operatorCallOnAFollowerGoesThroughTheStoreAndALateJoinerAdoptsItBeforeListening()
      throws Exception {
    replica(0, "10m", "[50, 100]", "");
    replica(1, "10m", "[50, 100]", "");
    int follower = 1 - leaderIndex();
    assertThat(post(follower, "pause").statusCode()).isEqualTo(200);
    assertThat(post(follower, "promote").statusCode()).isEqualTo(200);
    int leader = 1 - follower;
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> "promoted".equals(status(leader).path("state").asText()));
    assertThat(replicas.get(leader).router().current().canaryPercent()).isEqualTo(100.0);
    assertThat(post(leader, "rollback").statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(20))
        .until(() -> "rolledBack".equals(status(follower).path("state").asText()));

    CanaryProxy late = replica(2, "10m", "[50, 100]", "");
    // start() returned, so the listener is open: it routes by the fleet's state already
    assertThat(late.rollout().status().state().jsonName()).isEqualTo("rolledBack");
    assertThat(late.router().current().canaryPercent()).isZero();
    assertThat(status(2).path("coordination").path("store").asText()).isEqualTo(store.kind());
  }

  // --- fixture

  private CanaryProxy replica(int index, String stepInterval) throws Exception {
    return replica(index, stepInterval, "[10, 50, 100]", "");
  }

  /**
   * Starts replica {@code index} ({@code replicaId: replica-INDEX}) and adds it to the fleet.
   *
   * @param coordinationExtra more keys for {@code rollout.coordination}, each preceded by ", "
   */
  private CanaryProxy replica(
      int index, String stepInterval, String steps, String coordinationExtra) throws Exception {
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
          salt: "fleet-it"
          exposeVariantHeader: true
        rollout:
          steps: %s
          stepInterval: %s
          analysis:
            interval: 500ms
            minRequests: 20
            latency: { percentile: 90, maxRatio: 1.5 }
            errorRate: { maxIncrease: 0.02 }
            failureThreshold: 2
          onFailure: rollback
          stateFile: "%s"
          coordination:
            { %s, replicaId: "replica-%d", leaseTtl: 3s%s }
        """
            .formatted(
                stable.endpoint(),
                canary.endpoint(),
                steps,
                stepInterval,
                dir.resolve("unused-state-" + index + ".json"),
                store.coordination(),
                index,
                coordinationExtra);
    CanaryProxy proxy = new CanaryProxy(ConfigLoader.parse(yaml));
    proxy.addRolloutListener(e -> events.add(Map.entry(index, e)));
    replicas.add(proxy.start());
    return proxy;
  }

  private ClientLoad load(CanaryProxy proxy, long maxRequests) {
    ClientLoad load =
        new ClientLoad(
            URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/"),
            2,
            1000,
            maxRequests,
            Duration.ofSeconds(120));
    toClose.add(load);
    return load;
  }

  private boolean allIn(String state) {
    for (int i = 0; i < replicas.size(); i++) {
      if (!state.equals(status(i).path("state").asText())) {
        return false;
      }
    }
    return true;
  }

  /** The index of the replica that says it leads, or -1. */
  private int leaderIndex() {
    for (int i = 0; i < replicas.size(); i++) {
      if (replicas.get(i).coordinator().isLeader()) {
        return i;
      }
    }
    return -1;
  }

  private JsonNode leaderStatus() {
    int i = leaderIndex();
    return i < 0 ? MAPPER.createObjectNode() : status(i);
  }

  private JsonNode status(int i) {
    try {
      HttpResponse<String> response = get(i, "/admin/rollout");
      assertThat(response.statusCode()).isEqualTo(200);
      return MAPPER.readTree(response.body());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private double metric(int i, String name) throws Exception {
    for (String line : get(i, "/metrics").body().split("\n")) {
      if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError(name + " not in /metrics");
  }

  private HttpResponse<String> get(int i, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(adminUri(i, path)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(int i, String operation) throws Exception {
    return http.send(
        HttpRequest.newBuilder(adminUri(i, "/admin/rollout/" + operation))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private URI adminUri(int i, String path) {
    return URI.create("http://127.0.0.1:" + replicas.get(i).adminPort() + path);
  }
}
