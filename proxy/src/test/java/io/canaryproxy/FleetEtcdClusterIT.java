package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.demo.LocalEtcd;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet on a real 3-member etcd cluster (loopback ports, temporary data directories) losing the
 * member it talks to, which is also the raft leader: the replicas move to the other members without
 * ever reporting {@code coordination: stale} (two members still answer), stay one fleet with one
 * leader, and an operator call on any replica still reaches all of them. Skipped, with the reason
 * printed, when etcd is not installed.
 */
class FleetEtcdClusterIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private final List<CanaryProxy> replicas = new ArrayList<>();
  private List<LocalEtcd> members = List.of();
  private StubServer stable;
  private StubServer canary;

  @AfterEach
  void stop() throws Exception {
    for (CanaryProxy p : replicas) {
      p.close();
    }
    if (stable != null) {
      stable.close();
      canary.close();
    }
    for (LocalEtcd m : members) {
      m.close();
    }
  }

  @Test
  void losingTheRaftLeaderMemberItTalksToTheFleetCarriesOnThroughTheOthers() throws Exception {
    Path etcd = LocalEtcd.onPath().orElse(null);
    assumeTrue(
        etcd != null,
        () -> {
          System.out.println(
              "FleetEtcdClusterIT SKIPPED: no etcd on the PATH (apt-get install etcd-server)");
          return "no etcd on the PATH";
        });
    members = LocalEtcd.startCluster(etcd, dir, 3);
    LocalEtcd first = members.get(0); // every replica's first endpoint
    makeRaftLeader(first);
    stable = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "s\n"));
    canary = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "c\n"));
    for (int i = 0; i < 3; i++) {
      replicas.add(new CanaryProxy(ConfigLoader.parse(config(i))).start());
    }
    await().atMost(Duration.ofSeconds(20)).until(() -> leaders() == 1 && noneStale());
    Set<String> staleSeen = ConcurrentHashMap.newKeySet();
    ScheduledExecutorService watch = Executors.newSingleThreadScheduledExecutor();
    watch.scheduleAtFixedRate(
        () ->
            replicas.stream()
                .filter(p -> p.coordinator().status().stale())
                .forEach(p -> staleSeen.add(p.coordinator().replicaId())),
        0,
        10,
        TimeUnit.MILLISECONDS);

    first.kill(); // the member they all talk to, and the raft leader

    // an operator call on a follower goes through one of the other members to every replica
    int follower = replicas.get(0).coordinator().isLeader() ? 1 : 0;
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> post(follower, "pause").statusCode() == 200);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> allIn("paused"));
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> leaders() == 1 && noneStale());
    int other = (follower + 1) % 3;
    assertThat(post(other, "resume").statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> allIn("progressing"));
    for (CanaryProxy p : replicas) {
      assertThat(p.router().current().canaryPercent()).isEqualTo(50.0);
    }
    watch.shutdownNow();
    assertThat(staleSeen)
        .as("replicas that reported stale while two of three members answered")
        .isEmpty();
  }

  /** Moves raft leadership to {@code target} unless it has it already, and waits for it. */
  private void makeRaftLeader(LocalEtcd target) throws Exception {
    String targetId = status(target).path("header").path("member_id").asText();
    String leaderId = status(target).path("leader").asText();
    if (!targetId.equals(leaderId)) {
      for (LocalEtcd m : members) {
        if (status(m).path("header").path("member_id").asText().equals(leaderId)) {
          call(m, "/v3/maintenance/transfer-leadership", "{\"targetID\":\"" + targetId + "\"}");
        }
      }
    }
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> status(target).path("leader").asText().equals(targetId));
  }

  private JsonNode status(LocalEtcd m) throws Exception {
    return MAPPER.readTree(call(m, "/v3/maintenance/status", "{}"));
  }

  private String call(LocalEtcd m, String path, String body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(m.endpoint().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return r.body();
  }

  private String config(int index) {
    String endpoints =
        members.stream()
            .map(m -> "\"" + m.endpoint() + "\"")
            .collect(Collectors.joining(", ", "[", "]"));
    return """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing: { userKey: [{ header: x-user-id }], salt: "cluster-it" }
        rollout:
          steps: [50, 100]
          stepInterval: 10m
          analysis: { interval: 500ms, minRequests: 20 }
          stateFile: "%s"
          coordination:
            { store: etcd, endpoints: %s, prefix: /cluster-it, replicaId: "replica-%d",
              leaseTtl: 3s }
        """
        .formatted(
            stable.endpoint(),
            canary.endpoint(),
            dir.resolve("unused-" + index + ".json"),
            endpoints,
            index);
  }

  private long leaders() {
    return replicas.stream().filter(p -> p.coordinator().isLeader()).count();
  }

  private boolean noneStale() {
    return replicas.stream().noneMatch(p -> p.coordinator().status().stale());
  }

  private boolean allIn(String state) {
    return replicas.stream().allMatch(p -> p.rollout().status().state().jsonName().equals(state));
  }

  private HttpResponse<String> post(int i, String operation) throws Exception {
    return http.send(
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + replicas.get(i).adminPort()
                        + "/admin/rollout/"
                        + operation))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
