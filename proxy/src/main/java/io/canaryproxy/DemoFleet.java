package io.canaryproxy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.DrainConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.demo.DemoBackend;
import io.canaryproxy.demo.DemoLoad;
import io.canaryproxy.demo.LocalEtcd;
import io.canaryproxy.demo.VerdictTrail;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

/**
 * {@code demo --fleet N}: a local etcd (the {@code etcd} on the PATH, a temporary data directory,
 * free loopback ports), the demo backends, and N replicas of the proxy in this process, each with
 * its own listeners, event loops, metrics and fleet coordinator, all on one rollout ({@code
 * rollout.coordination: {store: etcd}} is added to the demo config). The demo's traffic is spread
 * over the replicas, and a line is printed whenever what a replica routes by changes, so that the
 * replicas can be seen agreeing. Without etcd on the PATH it says so and exits with {@value
 * #NO_ETCD}.
 */
final class DemoFleet {
  /** Exit status when {@code --fleet} is asked for and no {@code etcd} is on the PATH. */
  static final int NO_ETCD = 4;

  /** The key prefix of the demo fleet's rollout in its etcd. */
  static final String PREFIX = "/canary-proxy/demo";

  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private final DemoCommand options;
  private final PrintWriter out;
  private final PrintWriter err;
  private final List<CanaryProxy> replicas = new ArrayList<>();
  private final List<DemoBackend> backends = new ArrayList<>();
  private final List<DemoLoad> loads = new ArrayList<>();
  private final AtomicBoolean fixed = new AtomicBoolean();
  private final ScheduledExecutorService timer =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "demo-fleet");
            t.setDaemon(true);
            return t;
          });
  private LocalEtcd etcd;
  private Path dir;

  DemoFleet(DemoCommand options, PrintWriter out, PrintWriter err) {
    this.options = options;
    this.out = out;
    this.err = err;
  }

  /** Runs the fleet demo on the config text {@code yaml} until SIGINT/SIGTERM; the exit status. */
  int run(String yaml) throws Exception {
    int n = options.fleet;
    Optional<Path> binary = LocalEtcd.onPath();
    if (binary.isEmpty()) {
      err.println(
          "demo --fleet "
              + n
              + ": no etcd on the PATH; the replicas agree through etcd. Install it (Debian/Ubuntu:"
              + " apt-get install etcd-server) or run the single-replica demo without --fleet.");
      err.flush();
      return NO_ETCD;
    }
    // check the config before starting anything (the endpoint is a placeholder)
    ProxyConfig checked = replicaConfig(yaml, URI.create("http://127.0.0.1:2379"), 0);
    if (checked == null) {
      return Main.INVALID_CONFIG;
    }
    try {
      dir = Files.createTempDirectory("canary-proxy-demo-fleet");
      etcd = LocalEtcd.start(binary.get(), dir);
      out.println("demo: etcd " + etcd.endpoint() + " (data and log in " + dir + ")");
      DemoCommand.startDemoBackends(checked, options.degradeAfterSeconds, fixed, backends);
      VerdictTrail trail = new VerdictTrail(out);
      for (int i = 0; i < n; i++) {
        ProxyConfig c = replicaConfig(yaml, etcd.endpoint(), i);
        CanaryProxy proxy = Main.create(c, err);
        if (proxy == null) {
          shutdown();
          return Main.INVALID_CONFIG;
        }
        proxy.addRolloutListener(trail).addVerdictListener(trail);
        proxy.addRolloutListener(this::onEvent);
        String hint = i == 0 ? "try --listen/--admin with port 0" : "pass other ports";
        if (!Main.start(proxy, err, f -> hint)) {
          shutdown();
          return Main.LISTEN_FAILED;
        }
        replicas.add(proxy);
      }
    } catch (ListenFailure e) {
      err.println(e.oneLine("pass --config with other backend ports"));
      shutdown();
      return Main.LISTEN_FAILED;
    } catch (IOException e) {
      err.println("demo --fleet: " + e.getMessage());
      shutdown();
      return 1;
    }
    printTryThis();
    if (options.load > 0) {
      for (CanaryProxy p : replicas) {
        loads.add(new DemoLoad(proxyUri(p), options.load / n, 500));
      }
    }
    AtomicReference<String> last = new AtomicReference<>("");
    timer.scheduleWithFixedDelay(() -> printAgreement(last), 0, 500, TimeUnit.MILLISECONDS);
    CountDownLatch stopped = new CountDownLatch(1);
    Signals.onTerminate(
        () -> {
          shutdown();
          stopped.countDown();
        });
    stopped.await();
    return 0;
  }

  /**
   * The config of replica {@code index}: {@code yaml} with {@code rollout.coordination} on {@code
   * etcd}; replica 0 keeps the listeners (or {@code --listen} / {@code --admin}), the others take
   * free ports on the same hosts. Prints the errors and returns {@code null} when it is invalid.
   */
  private ProxyConfig replicaConfig(String yaml, URI etcdEndpoint, int index) throws IOException {
    JsonNode root = YAML.readTree(yaml);
    if (root == null
        || !(root.get("rollout") instanceof ObjectNode rollout)
        || !(root instanceof ObjectNode)) {
      err.println("rollout: absent (expected: a rollout section; the fleet demo shares it)");
      err.flush();
      return null;
    }
    ObjectNode coordination = rollout.putObject("coordination");
    coordination.put("store", "etcd");
    coordination.putArray("endpoints").add(etcdEndpoint.toString());
    coordination.put("prefix", PREFIX);
    coordination.put("replicaId", "demo-" + index);
    ProxyConfig c;
    try {
      c = ConfigLoader.parse(YAML.writeValueAsString(root));
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      err.flush();
      return null;
    }
    try {
      HostPort listen = options.listen == null ? c.listen() : HostPort.parse(options.listen);
      HostPort admin = options.admin == null ? c.admin().listen() : HostPort.parse(options.admin);
      if (index > 0) {
        listen = new HostPort(listen.host(), 0);
        admin = new HostPort(admin.host(), 0);
      }
      c = c.withListen(listen).withAdminListen(admin);
    } catch (IllegalArgumentException e) {
      err.println((options.listen != null ? "--listen/--admin: " : "") + e.getMessage());
      err.flush();
      return null;
    }
    // A demo is stopped with Ctrl-C on a laptop: there is no load balancer to wait for.
    return c.withDrain(new DrainConfig(Duration.ZERO, Duration.ZERO));
  }

  /** The leader's rollback: after a while, a fixed canary and a restart through the store. */
  private void onEvent(RolloutEvent event) {
    if (event.type() == RolloutEvent.Type.ROLLED_BACK
        && options.fixAfterSeconds > 0
        && !fixed.get()) {
      // the listener runs under the controller's lock: the restart goes to another thread
      timer.schedule(this::deployFixedCanary, options.fixAfterSeconds, TimeUnit.SECONDS);
    }
  }

  private void deployFixedCanary() {
    if (fixed.getAndSet(true)) {
      return;
    }
    out.println();
    out.println(
        "demo: a fixed canary is deployed; restarting the fleet's rollout from step 0"
            + " (POST /admin/rollout/restart on one replica; it goes through etcd to all)");
    out.println();
    out.flush();
    CanaryProxy any = replicas.get(0);
    var result = any.coordinator().operate("restart", any.rollout()::restart);
    if (!result.ok()) {
      out.println("demo: the restart was refused: " + result.error());
      out.flush();
    }
  }

  /** Prints one line per replica state whenever what any replica routes by changes. */
  private void printAgreement(AtomicReference<String> last) {
    StringBuilder line = new StringBuilder();
    String first = null;
    boolean agree = true;
    for (CanaryProxy p : replicas) {
      RolloutStatus s = p.rollout().status();
      var co = p.coordinator().status();
      String view =
          s.state().jsonName()
              + " step "
              + s.step()
              + " canary "
              + s.canaryPercent()
              + "%"
              + (co.stale() ? " STALE" : "");
      agree &= first == null || first.equals(view);
      first = first == null ? view : first;
      line.append(line.isEmpty() ? "" : " | ")
          .append(co.replica())
          .append(co.isLeader() ? " (leader)" : "")
          .append(": ")
          .append(view);
    }
    line.append(agree ? "  -> all agree" : "  -> catching up");
    String now = line.toString();
    if (!now.equals(last.getAndSet(now))) {
      out.println("fleet: " + now);
      out.flush();
    }
  }

  private void printTryThis() {
    out.println();
    out.println(
        "canary-proxy fleet demo is running: " + replicas.size() + " replicas, one rollout.");
    for (CanaryProxy p : replicas) {
      out.println(
          "  "
              + p.coordinator().replicaId()
              + ": proxy "
              + proxyUri(p)
              + "    admin "
              + adminUri(p));
    }
    out.println();
    out.println("The same user gets the same version from every replica:");
    for (CanaryProxy p : replicas) {
      out.println("  curl -s -H 'x-user-id: alice' " + proxyUri(p) + "hello");
    }
    out.println("Each replica's view of the fleet (leader, replicas, stale):");
    out.println("  curl -s " + adminUri(replicas.get(0)) + "/admin/rollout");
    out.println("An operator call on any replica goes through etcd to all of them:");
    out.println(
        "  curl -s -X POST "
            + adminUri(replicas.get(replicas.size() - 1))
            + "/admin/rollout/pause");
    if (options.load > 0) {
      out.println(
          "The demo sends its own traffic to every replica (--load, split evenly); only the leader");
      out.println(
          "judges, on the sum of all replicas' intervals. The canary turns slow after a while:");
      out.println("watch the fleet roll it back at once.");
    }
    out.println();
    out.println("Ctrl-C stops it (etcd too).");
    out.println();
    out.flush();
  }

  private static URI proxyUri(CanaryProxy p) {
    return URI.create("http://127.0.0.1:" + p.proxyPort() + "/");
  }

  private static String adminUri(CanaryProxy p) {
    return "http://127.0.0.1:" + p.adminPort();
  }

  /** Stops the load, the replicas, the backends and etcd, and removes etcd's directory. */
  private void shutdown() {
    timer.shutdownNow();
    loads.forEach(DemoLoad::close);
    for (CanaryProxy p : replicas) {
      p.close();
    }
    backends.forEach(DemoBackend::close);
    try {
      if (etcd != null) {
        etcd.close();
      }
      if (dir != null) {
        try (Stream<Path> files = Files.walk(dir)) {
          for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
            Files.deleteIfExists(f);
          }
        }
      }
    } catch (IOException e) {
      err.println("demo: could not remove " + dir + ": " + e.getMessage());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
