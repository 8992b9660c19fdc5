package io.canaryproxy.coordination;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.testing.ClientLoad;
import io.canaryproxy.testing.EtcdServer;
import io.canaryproxy.testing.ProxyProcess;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link FleetScaleProbe} on three proxy <em>processes</em> (each its own JVM) and one real etcd: a
 * program, not a test (nothing is asserted). (1) 50 state changes (pause, resume, ...) posted to
 * the leader's admin; for each, the instants every replica logged applying it ({@code fleet rollout
 * applied ... (revision R, at T)}, the same host clock) give the time from the store accepting the
 * leader's write to the last follower applying it, and from the operator's POST to that. (2) Store
 * calls per replica per analysis interval under light load, from each process's {@code
 * canary_proxy_coordination_store_seconds_count}.
 *
 * <p>Run: {@code ./mvnw -B -o -q -pl proxy test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt} then {@code java -cp
 * proxy/target/test-classes:proxy/target/classes:$(cat proxy/target/cp.txt)
 * io.canaryproxy.coordination.FleetProcessScaleProbe}.
 */
public final class FleetProcessScaleProbe {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Pattern APPLIED =
      Pattern.compile(
          "fleet rollout applied: (\\S+) at step \\d+, .*\\(revision (\\d+), at (\\S+)\\)");

  private FleetProcessScaleProbe() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createTempDirectory("fleet-process-probe");
    int intervalMillis = 1000;
    List<ProxyProcess> replicas = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    try (EtcdServer etcd = EtcdServer.start(dir, "FleetProcessScaleProbe");
        StubServer stable = StubServer.start(reply("stable"));
        StubServer canary = StubServer.start(reply("canary"))) {
      try {
        for (int i = 0; i < 3; i++) {
          int port = ProxyProcess.freePort();
          int admin = ProxyProcess.freePort();
          ports.add(port);
          replicas.add(
              ProxyProcess.start(
                  dir, "r" + i, yaml(i, port, admin, stable, canary, etcd, intervalMillis), admin));
        }
        for (ProxyProcess p : replicas) {
          p.awaitReady(Duration.ofSeconds(60));
        }
        propagation(replicas);
        storeOps(replicas, ports, intervalMillis);
      } finally {
        for (ProxyProcess p : replicas) {
          p.close();
        }
      }
    }
  }

  private static void propagation(List<ProxyProcess> replicas) throws Exception {
    ProxyProcess leader = null;
    while (leader == null) {
      for (ProxyProcess p : replicas) {
        if (rollout(p).path("coordination").path("isLeader").asBoolean()) {
          leader = p;
        }
      }
    }
    int changes = 50;
    List<Instant> posted = new ArrayList<>();
    for (int c = 0; c < changes; c++) {
      String op = c % 2 == 0 ? "pause" : "resume";
      String expected = c % 2 == 0 ? "paused" : "progressing";
      posted.add(Instant.now());
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(leader.adminUri("/admin/rollout/" + op))
                  .POST(HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException(op + ": " + r.body());
      }
      for (ProxyProcess p : replicas) {
        while (!expected.equals(rollout(p).path("state").asText())) {
          LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
        }
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
    // the leader logged one line per change, after the one for joining: the last 50 are ours
    List<Map.Entry<Long, Instant>> written = new ArrayList<>(applied(leader).entrySet());
    written.sort(Map.Entry.comparingByValue());
    written = written.subList(written.size() - changes, written.size());
    List<Map<Long, Instant>> followed = new ArrayList<>();
    for (ProxyProcess p : replicas) {
      followed.add(applied(p));
    }
    List<Long> writeToLast = new ArrayList<>();
    List<Long> postToLast = new ArrayList<>();
    for (int c = 0; c < changes; c++) {
      long revision = written.get(c).getKey();
      Instant last = written.get(c).getValue();
      for (Map<Long, Instant> f : followed) {
        Instant at = f.get(revision);
        if (at == null) {
          throw new IllegalStateException("a replica never applied revision " + revision);
        }
        last = at.isAfter(last) ? at : last;
      }
      writeToLast.add(Duration.between(written.get(c).getValue(), last).toMillis());
      postToLast.add(Duration.between(posted.get(c), last).toMillis());
    }
    System.out.printf(
        "%d changes on 3 processes: leader's write accepted -> last follower applied: p50 %d ms, p99"
            + " %d ms, max %d ms; operator's POST -> last follower applied: p50 %d ms, p99 %d ms,"
            + " max %d ms%n",
        changes,
        pct(writeToLast, 50),
        pct(writeToLast, 99),
        pct(writeToLast, 100),
        pct(postToLast, 50),
        pct(postToLast, 99),
        pct(postToLast, 100));
  }

  /** Revision to the instant this replica logged applying it. */
  private static Map<Long, Instant> applied(ProxyProcess p) throws Exception {
    Map<Long, Instant> out = new HashMap<>();
    Matcher m = APPLIED.matcher(p.log());
    while (m.find()) {
      out.put(Long.parseLong(m.group(2)), Instant.parse(m.group(3)));
    }
    return out;
  }

  private static void storeOps(List<ProxyProcess> replicas, List<Integer> ports, int intervalMillis)
      throws Exception {
    List<ClientLoad> loads = new ArrayList<>();
    for (int port : ports) {
      loads.add(
          new ClientLoad(
              URI.create("http://127.0.0.1:" + port + "/"),
              1,
              100,
              Long.MAX_VALUE,
              Duration.ofMinutes(2)));
    }
    try {
      LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(3));
      double[] before = new double[replicas.size()];
      for (int i = 0; i < replicas.size(); i++) {
        before[i] = storeCalls(replicas.get(i));
      }
      int intervals = 30;
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos((long) intervals * intervalMillis));
      for (int i = 0; i < replicas.size(); i++) {
        ProxyProcess p = replicas.get(i);
        double calls = storeCalls(p) - before[i];
        System.out.printf(
            "replica %d (%s): %.0f store calls in %d intervals = %.2f per interval%n",
            i,
            rollout(p).path("coordination").path("isLeader").asBoolean() ? "leader" : "follower",
            calls,
            intervals,
            calls / intervals);
      }
    } finally {
      for (ClientLoad l : loads) {
        l.close();
      }
    }
  }

  private static JsonNode rollout(ProxyProcess p) throws Exception {
    return MAPPER.readTree(
        HTTP.send(
                HttpRequest.newBuilder(p.adminUri("/admin/rollout")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body());
  }

  private static double storeCalls(ProxyProcess p) throws Exception {
    String body =
        HTTP.send(
                HttpRequest.newBuilder(p.adminUri("/metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    double sum = 0;
    for (String line : body.split("\n")) {
      if (line.startsWith("canary_proxy_coordination_store_seconds_count")) {
        sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return sum;
  }

  private static long pct(List<Long> values, int p) {
    long[] s = values.stream().mapToLong(Long::longValue).toArray();
    Arrays.sort(s);
    int i = (int) Math.ceil(p / 100.0 * s.length) - 1;
    return s[Math.max(0, Math.min(s.length - 1, i))];
  }

  private static StubServer.Behavior reply(String body) {
    return (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, body + "\n");
  }

  private static String yaml(
      int i,
      int port,
      int admin,
      StubServer stable,
      StubServer canary,
      EtcdServer etcd,
      int intervalMillis) {
    return """
        listen: 127.0.0.1:%d
        ioThreads: 1
        admin: { listen: 127.0.0.1:%d }
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
        .formatted(
            port, admin, stable.endpoint(), canary.endpoint(), intervalMillis, etcd.endpoint(), i);
  }
}
