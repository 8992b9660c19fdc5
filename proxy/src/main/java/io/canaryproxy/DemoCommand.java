package io.canaryproxy;

import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.DrainConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.demo.DemoBackend;
import io.canaryproxy.demo.DemoLoad;
import io.canaryproxy.demo.VerdictTrail;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code demo}: demo stable, canary and shadow backends in this process with the proxy in front of
 * them. Each run starts a fresh rollout (the state file is removed) unless {@code --resume}, and
 * Ctrl-C stops it at once (no drain delay).
 */
@Command(
    name = "demo",
    description =
        "Start demo stable, canary and shadow backends in this process with the proxy in front of them.",
    mixinStandardHelpOptions = true)
final class DemoCommand implements Callable<Integer> {
  @Option(names = "--config", description = "a config to use instead of the embedded demo.yaml")
  Path config;

  @Option(
      names = "--canary-degrades-after",
      defaultValue = "30",
      description =
          "seconds after which the demo canary turns slow (0 = never); default ${DEFAULT-VALUE}")
  long degradeAfterSeconds;

  @Option(
      names = "--fixed-canary-after",
      defaultValue = "15",
      description =
          "seconds after a rollback at which the demo deploys a fixed canary and restarts the rollout"
              + " (POST /admin/rollout/restart; 0 = never); default ${DEFAULT-VALUE}")
  long fixAfterSeconds;

  @Option(
      names = "--load",
      defaultValue = "150",
      description =
          "requests/s the demo sends itself, from 500 users (0 = none); default ${DEFAULT-VALUE}")
  double load;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "the proxy listener instead of the config's listen (port 0: any free port)")
  String listen;

  @Option(
      names = "--admin",
      paramLabel = "HOST:PORT",
      description =
          "the admin listener instead of the config's admin.listen (port 0: any free port)")
  String admin;

  @Option(
      names = "--resume",
      description = "continue the rollout saved in the state file instead of starting afresh")
  boolean resume;

  @Option(
      names = "--fleet",
      paramLabel = "N",
      defaultValue = "1",
      description =
          "run N replicas (2..9) on one rollout through a local etcd (the etcd on the PATH is"
              + " started on loopback ports with a temporary data directory); default ${DEFAULT-VALUE}")
  int fleet;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter err = spec.commandLine().getErr();
    if (fleet != 1) {
      return callFleet(err);
    }
    ProxyConfig c = loadConfig(err);
    if (c == null) {
      return Main.INVALID_CONFIG;
    }
    if (load < 0) {
      err.println("--load: " + load + " (expected: >= 0)");
      return Main.INVALID_CONFIG;
    }
    try {
      c = listen == null ? c : c.withListen(HostPort.parse(listen));
    } catch (IllegalArgumentException e) {
      err.println("--listen: " + e.getMessage());
      return Main.INVALID_CONFIG;
    }
    try {
      c = admin == null ? c : c.withAdminListen(HostPort.parse(admin));
    } catch (IllegalArgumentException e) {
      err.println("--admin: " + e.getMessage());
      return Main.INVALID_CONFIG;
    }
    // A demo is stopped with Ctrl-C on a laptop: there is no load balancer to wait for.
    c = c.withDrain(new DrainConfig(Duration.ZERO, Duration.ZERO));
    if (!resume && c.rollout() != null && c.rollout().stateFile() != null) {
      // Every run shows the whole story again; an earlier run's rollback must not carry over.
      Files.deleteIfExists(c.rollout().stateFile());
    }
    PrintWriter out = spec.commandLine().getOut();
    List<DemoBackend> backends = new ArrayList<>();
    AtomicBoolean fixed = new AtomicBoolean();
    try {
      startDemoBackends(c, degradeAfterSeconds, fixed, backends);
    } catch (ListenFailure e) {
      err.println(e.oneLine("pass --config with other backend ports"));
      backends.forEach(DemoBackend::close);
      return Main.LISTEN_FAILED;
    }
    VerdictTrail trail = new VerdictTrail(out);
    CanaryProxy proxy = Main.create(c, err);
    if (proxy == null) {
      backends.forEach(DemoBackend::close);
      return Main.INVALID_CONFIG;
    }
    proxy.addRolloutListener(trail).addVerdictListener(trail);
    ScheduledExecutorService fixer =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-fixer");
              t.setDaemon(true);
              return t;
            });
    if (fixAfterSeconds > 0) {
      proxy.addRolloutListener(
          event -> {
            if (event.type() == RolloutEvent.Type.ROLLED_BACK && !fixed.get()) {
              // the listener runs under the controller's lock: the restart goes to another thread
              fixer.schedule(
                  () -> deployFixedCanary(proxy, fixed, out), fixAfterSeconds, TimeUnit.SECONDS);
            }
          });
    }
    HostPort l = c.listen();
    HostPort a = c.admin().listen();
    if (!Main.start(
        proxy,
        err,
        f ->
            f.what().equals("listen")
                ? "try --listen " + l.host() + ":0"
                : "try --admin " + a.host() + ":0")) {
      backends.forEach(DemoBackend::close);
      return Main.LISTEN_FAILED;
    }
    printTryThis(out, c, proxy, load > 0);
    DemoLoad traffic =
        load > 0
            ? new DemoLoad(
                URI.create("http://" + l.host() + ":" + proxy.proxyPort() + "/"), load, 500)
            : null;
    int status =
        Main.runUntilSignalled(
            proxy,
            c,
            () -> {
              if (traffic != null) {
                traffic.close();
              }
            });
    fixer.shutdownNow();
    backends.forEach(DemoBackend::close);
    return status;
  }

  private int callFleet(PrintWriter err) throws Exception {
    if (fleet < 2 || fleet > 9) {
      err.println("--fleet: " + fleet + " (expected: 2..9)");
      return Main.INVALID_CONFIG;
    }
    if (resume) {
      err.println("--resume: not with --fleet (each fleet demo starts a fresh etcd)");
      return Main.INVALID_CONFIG;
    }
    if (load < 0) {
      err.println("--load: " + load + " (expected: >= 0)");
      return Main.INVALID_CONFIG;
    }
    String yaml;
    if (config != null) {
      try {
        yaml = new String(ConfigFiles.readConfig(config), StandardCharsets.UTF_8);
      } catch (ConfigException e) {
        e.errors().forEach(err::println);
        return Main.INVALID_CONFIG;
      }
    } else {
      try (InputStream in = Main.class.getResourceAsStream("/demo.yaml")) {
        yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      }
    }
    return new DemoFleet(this, spec.commandLine().getOut(), err).run(yaml);
  }

  /** The second act: the canary is fast again, and the rollout starts over from step 0. */
  private static void deployFixedCanary(CanaryProxy proxy, AtomicBoolean fixed, PrintWriter out) {
    fixed.set(true);
    out.println();
    out.println(
        "demo: a fixed canary is deployed; restarting the rollout from step 0"
            + " (what POST /admin/rollout/restart does; GET /admin/rollout/history keeps the"
            + " rolled-back attempt)");
    out.println();
    out.flush();
    proxy.rollout().restart();
  }

  private ProxyConfig loadConfig(PrintWriter err) {
    if (config != null) {
      return Main.load(config, err);
    }
    try (InputStream in = Main.class.getResourceAsStream("/demo.yaml")) {
      return ConfigLoader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (ConfigException | IOException e) {
      err.println("embedded demo.yaml: " + e.getMessage());
      return null;
    }
  }

  /**
   * Starts one demo backend per endpoint into {@code started}; the canary turns slow later, and
   * fast again once {@code fixed} is set.
   */
  static void startDemoBackends(
      ProxyConfig c, long degradeAfterSeconds, AtomicBoolean fixed, List<DemoBackend> started)
      throws InterruptedException {
    long start = System.nanoTime();
    for (var e : c.backends().entrySet()) {
      String name = e.getKey();
      for (HostPort hp : e.getValue().endpoints()) {
        try {
          if (name.equals(c.routing().canary())) {
            started.add(
                new DemoBackend(
                    hp.host(),
                    hp.port(),
                    name,
                    () -> {
                      boolean degraded =
                          degradeAfterSeconds > 0
                              && !fixed.get()
                              && System.nanoTime() - start > degradeAfterSeconds * 1_000_000_000L;
                      return DemoBackend.jitter(degraded ? 60 : 10);
                    },
                    null));
          } else if (c.mirror() != null && name.equals(c.mirror().to())) {
            started.add(
                new DemoBackend(
                    hp.host(), hp.port(), name, () -> DemoBackend.jitter(10), "\"beta\":true"));
          } else {
            started.add(
                new DemoBackend(hp.host(), hp.port(), name, () -> DemoBackend.jitter(10), null));
          }
        } catch (InterruptedException ex) {
          throw ex;
        } catch (Exception ex) { // Netty rethrows the bind's IOException unchecked
          throw new ListenFailure("backends." + name, hp, ex);
        }
      }
    }
  }

  private static void printTryThis(
      PrintWriter out, ProxyConfig c, CanaryProxy proxy, boolean ownLoad) {
    String url = "http://" + c.listen().host() + ":" + proxy.proxyPort();
    String admin = "http://" + c.admin().listen().host() + ":" + proxy.adminPort();
    out.println();
    out.println("canary-proxy demo is running.");
    out.println("  proxy: " + url + "    admin: " + admin);
    out.println("  dashboard: " + admin + "/");
    out.println();
    out.println("Sticky routing: the same user always gets the same version");
    out.println(
        "  for u in alice bob carol dave erin; do curl -s -H \"x-user-id: $u\" "
            + url
            + "/hello; done");
    out.println("Force a variant from a trusted address:");
    out.println("  curl -s -H 'x-canary: canary' " + url + "/hello");
    out.println("Rules: x-beta: true always goes to the canary");
    out.println("  curl -s -H 'x-beta: true' " + url + "/hello");
    out.println("Watch it:");
    out.println("  curl -s " + admin + "/admin/stats");
    out.println("  curl -s " + admin + "/admin/rollout");
    out.println("  curl -s " + admin + "/metrics | grep canary_proxy_requests");
    if (ownLoad) {
      out.println(
          "The demo sends its own traffic (--load). The canary turns slow after a while; watch the verdicts");
      out.println("below turn FAIL and the rollout roll it back by itself. Then a fixed canary is");
      out.println("deployed and the rollout restarts from step 0 (--fixed-canary-after).");
    } else {
      out.println("Drive some load (the canary turns slow after a while and is rolled back):");
      out.println(
          "  for i in $(seq 1 20000); do curl -s -o /dev/null -H \"x-user-id: u$((i % 500))\" "
              + url
              + "/; done");
    }
    out.println();
    out.println("Ctrl-C stops it.");
    out.println();
    out.flush();
  }
}
