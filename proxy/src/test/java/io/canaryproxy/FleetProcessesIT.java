package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.EtcdServer;
import io.canaryproxy.testing.ProxyProcess;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One rollout per fleet, as deployed: three proxy <em>processes</em> ({@code Main run --config},
 * each its own JVM, listener and admin port) against one real etcd on loopback ports, with stub
 * stable and canary backends and client load on every replica. "Applied at the same moment" is read
 * from the replicas themselves: {@code coordination.appliedAt} in {@code /admin/rollout} and the
 * {@code fleet rollout applied} line each one logs per change, both stamped by the replica when it
 * began routing by the state; the tolerance is 1 s. Skipped, with the reason printed, when
 * etcd is not installed. The processes are killed after each test.
 */
class FleetProcessesIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final long STABLE_MILLIS = 5;
  private static final Duration SAME_MOMENT = Duration.ofSeconds(1);
  private static final Pattern APPLIED =
      Pattern.compile("fleet rollout applied: (\\S+) at step (\\d+), .* at (\\S+)\\)");

  @TempDir Path dir;

  private final AtomicLong canaryDelayMillis = new AtomicLong(STABLE_MILLIS);
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<ProxyProcess> replicas = new ArrayList<>();
  private final List<Integer> proxyPorts = new ArrayList<>();
  private final List<ClientLoad> loads = new ArrayList<>();

  private EtcdServer etcd;
  private StubServer stable;
  private StubServer canary;

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdServer.start(dir, "FleetProcessesIT");
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
    for (ClientLoad l : loads) {
      l.close();
    }
    for (ProxyProcess p : replicas) {
      p.close();
    }
    if (canary != null) {
      canary.close();
      stable.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void slowCanaryIsRolledBackByAllThreeProcessesAtOnceAndNoUserSeesItAfterwards() throws Exception {
    startFleet("60s");
    for (int i = 0; i < 3; i++) {
      loads.add(load(i));
    }
    // the leader judges the sum of the three processes' intervals
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> leaderStatus().path("coordination").path("lastContributors").asInt() == 3);

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

    // the same stored decision on every process, applied within the tolerance
    List<JsonNode> after = List.of(status(0), status(1), status(2));
    long revision = after.get(0).path("coordination").path("appliedRevision").asLong();
    assertThat(revision).isPositive();
    List<Instant> appliedAt = new ArrayList<>();
    for (JsonNode s : after) {
      assertThat(s.path("canaryPercent").asDouble()).isZero();
      assertThat(s.path("reason").asText()).isEqualTo(after.get(0).path("reason").asText());
      assertThat(s.path("coordination").path("appliedRevision").asLong()).isEqualTo(revision);
      appliedAt.add(Instant.parse(s.path("coordination").path("appliedAt").asText()));
    }
    Duration spread = spread(appliedAt);
    System.out.printf(
        "FleetProcessesIT: rollback applied by the 3 processes within %d ms%n", spread.toMillis());
    assertThat(spread).isLessThanOrEqualTo(SAME_MOMENT);
    // one decision for the fleet: each process applied one rollback, never a second of its own
    for (ProxyProcess p : replicas) {
      assertThat(applied(p).keySet()).filteredOn(k -> k.startsWith("rolledBack ")).hasSize(1);
    }

    // no request sent after its replica showed the rollback was answered by the canary
    long[] completed = loads.stream().mapToLong(ClientLoad::completed).toArray();
    await().atMost(Duration.ofSeconds(60)).until(() -> allCompletedMore(completed, 300));
    int canaryReceived = canary.received().size();
    for (int i = 0; i < 3; i++) {
      assertThat(loads.get(i).lastCanarySentNanos()).isLessThan(seen[i]);
      completed[i] = loads.get(i).completed();
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> allCompletedMore(completed, 300));
    assertThat(canary.received()).hasSize(canaryReceived);
  }

  @Test
  void healthyCanaryIsPromotedByAllThreeProcessesInLockstep() throws Exception {
    startFleet("2s");
    for (int i = 0; i < 3; i++) {
      loads.add(load(i));
    }
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(
            () -> {
              for (int i = 0; i < 3; i++) {
                if (!"promoted".equals(status(i).path("state").asText())) {
                  return false;
                }
              }
              return true;
            });
    for (int i = 0; i < 3; i++) {
      assertThat(status(i).path("canaryPercent").asDouble()).isEqualTo(100.0);
    }

    // every process went through the same stages; each change after the first (joining) was
    // applied by all three within the tolerance
    List<Map<String, Instant>> stages = new ArrayList<>();
    for (ProxyProcess p : replicas) {
      stages.add(applied(p));
    }
    assertThat(stages.get(0).keySet())
        .containsSubsequence("progressing 0", "progressing 1")
        .last()
        .asString()
        .startsWith("promoted");
    List<String> changes = new ArrayList<>(stages.get(0).keySet());
    for (Map<String, Instant> s : stages) {
      assertThat(s.keySet()).containsExactlyElementsOf(changes);
    }
    for (String change : changes.subList(1, changes.size())) {
      Duration spread = spread(stages.stream().map(s -> s.get(change)).toList());
      System.out.printf(
          "FleetProcessesIT: '%s' applied by the 3 processes within %d ms%n",
          change, spread.toMillis());
      assertThat(spread).as(change).isLessThanOrEqualTo(SAME_MOMENT);
    }
  }

  // --- fixture

  /** Starts three replica processes at once and waits until each is ready. */
  private void startFleet(String stepInterval) throws Exception {
    for (int i = 0; i < 3; i++) {
      int port = ProxyProcess.freePort();
      int adminPort = ProxyProcess.freePort();
      proxyPorts.add(port);
      replicas.add(
          ProxyProcess.start(
              dir, "replica-" + i, config(i, port, adminPort, stepInterval), adminPort));
    }
    for (ProxyProcess p : replicas) {
      p.awaitReady(Duration.ofSeconds(60));
    }
  }

  private String config(int index, int port, int adminPort, String stepInterval) {
    return """
        listen: 127.0.0.1:%d
        ioThreads: 1
        admin: { listen: 127.0.0.1:%d }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing:
          userKey: [{ header: x-user-id }]
          salt: "fleet-processes-it"
          exposeVariantHeader: true
        rollout:
          steps: [10, 50, 100]
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
            { store: etcd, endpoints: ["%s"], prefix: /fleet-processes-it,
              replicaId: "replica-%d", leaseTtl: 3s }
        """
        .formatted(
            port,
            adminPort,
            stable.endpoint(),
            canary.endpoint(),
            stepInterval,
            dir.resolve("unused-state-" + index + ".json"),
            etcd.endpoint(),
            index);
  }

  private ClientLoad load(int i) {
    return new ClientLoad(
        URI.create("http://127.0.0.1:" + proxyPorts.get(i) + "/"),
        2,
        1000,
        400_000,
        Duration.ofSeconds(180));
  }

  private boolean allCompletedMore(long[] from, long more) {
    for (int i = 0; i < from.length; i++) {
      if (loads.get(i).completed() < from[i] + more) {
        return false;
      }
    }
    return true;
  }

  /** The stages ({@code STATE STEP}) a process logged applying, in order, with when. */
  private static Map<String, Instant> applied(ProxyProcess p) throws IOException {
    Map<String, Instant> out = new LinkedHashMap<>();
    Matcher m = APPLIED.matcher(p.log());
    while (m.find()) {
      String stage = m.group(1) + " " + m.group(2);
      assertThat(out).as("%s applied %s twice", p, stage).doesNotContainKey(stage);
      out.put(stage, Instant.parse(m.group(3)));
    }
    return out;
  }

  private static Duration spread(List<Instant> instants) {
    Instant min = instants.stream().min(Instant::compareTo).orElseThrow();
    Instant max = instants.stream().max(Instant::compareTo).orElseThrow();
    return Duration.between(min, max);
  }

  private JsonNode leaderStatus() {
    for (int i = 0; i < replicas.size(); i++) {
      JsonNode s = status(i);
      if (s.path("coordination").path("isLeader").asBoolean()) {
        return s;
      }
    }
    return MAPPER.createObjectNode();
  }

  private JsonNode status(int i) {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(replicas.get(i).adminUri("/admin/rollout")).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      return MAPPER.readTree(response.body());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
