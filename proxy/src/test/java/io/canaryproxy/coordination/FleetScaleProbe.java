package io.canaryproxy.coordination;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.analysis.RolloutController.OperationResult;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.EtcdServer;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures the fleet's figures for the README's scaling section; a program, not a test (nothing is
 * asserted). Three in-process replicas on one real etcd: (1) 50 state changes made on the leader
 * (pause, resume, ...), each timed from the decision to the last follower applying it, split into
 * the compare-and-set write and the propagation through the watch; (2) fleet store calls per
 * replica per analysis interval under light load, from each replica's {@code
 * canary_proxy_coordination_store_seconds_count}.
 *
 * <p>Run: {@code ./mvnw -B -o -q -pl proxy test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt} then {@code java -cp
 * proxy/target/test-classes:proxy/target/classes:$(cat proxy/target/cp.txt)
 * io.canaryproxy.coordination.FleetScaleProbe}.
 */
public final class FleetScaleProbe {
  private FleetScaleProbe() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("fleet-probe");
    int intervalMillis = 1000;
    try (EtcdServer etcd = EtcdServer.start(dir, "FleetScaleProbe");
        StubServer stable = StubServer.start(reply("stable"));
        StubServer canary = StubServer.start(reply("canary"))) {
      List<CanaryProxy> replicas = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        replicas.add(
            new CanaryProxy(ConfigLoader.parse(yaml(i, stable, canary, etcd, intervalMillis)))
                .start());
      }
      try {
        propagation(replicas);
        List<ClientLoad> loads = storeOps(replicas, intervalMillis);
        evidenceSize(etcd); // while the load still runs
        for (ClientLoad l : loads) {
          l.close();
        }
      } finally {
        for (CanaryProxy p : replicas) {
          p.close();
        }
      }
    }
  }

  private static void propagation(List<CanaryProxy> replicas) throws Exception {
    CanaryProxy leader =
        replicas.stream().filter(p -> p.coordinator().isLeader()).findFirst().get();
    List<CanaryProxy> followers = replicas.stream().filter(p -> p != leader).toList();
    int changes = 50;
    long[] total = new long[changes];
    long[] write = new long[changes];
    long[] watch = new long[changes];
    for (int c = 0; c < changes; c++) {
      boolean pause = c % 2 == 0;
      RolloutState expected = pause ? RolloutState.PAUSED : RolloutState.PROGRESSING;
      long t0 = System.nanoTime();
      OperationResult r =
          leader
              .coordinator()
              .operate(
                  pause ? "pause" : "resume",
                  () -> pause ? leader.rollout().pause() : leader.rollout().resume());
      long t1 = System.nanoTime();
      if (!r.ok()) {
        throw new IllegalStateException(r.error());
      }
      for (CanaryProxy f : followers) {
        while (f.rollout().status().state() != expected) {
          LockSupport.parkNanos(50_000);
        }
      }
      long t2 = System.nanoTime();
      write[c] = t1 - t0;
      total[c] = t2 - t0;
      watch[c] = t2 - t1;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    System.out.printf(
        "decision -> last of 2 followers applied, %d changes: p50 %.2f ms, p99 %.2f ms, max %.2f"
            + " ms (the CAS write: p50 %.2f ms, p99 %.2f ms; write to last follower applied: p50 %.2f"
            + " ms, p99 %.2f ms)%n",
        changes,
        ms(pct(total, 50)),
        ms(pct(total, 99)),
        ms(pct(total, 100)),
        ms(pct(write, 50)),
        ms(pct(write, 99)),
        ms(pct(watch, 50)),
        ms(pct(watch, 99)));
  }

  /** Prints the store calls per interval of each replica; returns the load, still running. */
  private static List<ClientLoad> storeOps(List<CanaryProxy> replicas, int intervalMillis) {
    List<ClientLoad> loads = new ArrayList<>();
    for (CanaryProxy p : replicas) {
      loads.add(
          new ClientLoad(
              URI.create("http://127.0.0.1:" + p.proxyPort() + "/"),
              1,
              100,
              Long.MAX_VALUE,
              Duration.ofMinutes(2)));
    }
    LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
    double[] before = replicas.stream().mapToDouble(FleetScaleProbe::storeCalls).toArray();
    int intervals = 30;
    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos((long) intervals * intervalMillis));
    for (int i = 0; i < replicas.size(); i++) {
      CanaryProxy p = replicas.get(i);
      double calls = storeCalls(p) - before[i];
      System.out.printf(
          "replica %d (%s): %.0f store calls in %d intervals = %.2f per interval%n",
          i,
          p.coordinator().isLeader() ? "leader" : "follower",
          calls,
          intervals,
          calls / intervals);
    }
    return loads;
  }

  /** The size of the evidence values waiting in the store now (published, not yet consumed). */
  private static void evidenceSize(EtcdServer etcd) throws Exception {
    try (EtcdClient client =
        new EtcdClient(List.of(etcd.endpoint()), Duration.ofSeconds(2), (n, ok) -> {})) {
      long bytes = 0;
      int n = 0;
      for (int tries = 0; tries < 50 && n == 0; tries++) {
        for (EtcdClient.Kv kv : client.prefix("/probe/evidence/").kvs()) {
          bytes += kv.value().length;
          n++;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
      }
      System.out.printf("evidence: %d values, %d bytes on average%n", n, n == 0 ? 0 : bytes / n);
    }
  }

  private static double storeCalls(CanaryProxy p) {
    try {
      String body =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + p.adminPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      double sum = 0;
      for (String line : body.split("\n")) {
        if (line.startsWith("canary_proxy_coordination_store_seconds_count")) {
          sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
      }
      return sum;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static long pct(long[] values, int p) {
    long[] s = values.clone();
    Arrays.sort(s);
    int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, i))];
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static StubServer.Behavior reply(String body) {
    return (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, body + "\n");
  }

  private static String yaml(
      int i, StubServer stable, StubServer canary, EtcdServer etcd, int intervalMillis) {
    return """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing: { userKey: [{ header: x-user-id }], salt: probe }
        rollout:
          steps: [10, 50, 100]
          stepInterval: 10m
          analysis: { interval: %dms, minRequests: 20, failureThreshold: 1000 }
          coordination: { store: etcd, endpoints: ["%s"], prefix: /probe, replicaId: "r%d" }
        """
        .formatted(stable.endpoint(), canary.endpoint(), intervalMillis, etcd.endpoint(), i);
  }
}
