package io.canaryproxy;

import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigLoader;
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
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The command line: {@code run}, {@code validate} and {@code demo}. */
@Command(
    name = "canary-proxy",
    mixinStandardHelpOptions = true,
    version = "canary-proxy 0.1.0",
    description =
        "HTTP proxy for canary releases: sticky user cohorts, safe mirroring, automated rollback.",
    subcommands = {Main.Run.class, Main.Validate.class, Main.Demo.class})
public final class Main implements Callable<Integer> {
  /** Exit status for an invalid configuration. */
  static final int INVALID_CONFIG = 2;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(new CommandLine(new Main()).execute(args));
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 0;
  }

  /** Loads a config, printing every error on its own line (YAML path first) when it is invalid. */
  static ProxyConfig load(Path file, PrintWriter err) {
    try {
      return ConfigLoader.load(file);
    } catch (ConfigException e) {
      e.errors().forEach(err::println);
      err.flush();
      return null;
    }
  }

  /**
   * Builds the proxy, or prints why not (e.g. a token file emptied since the config was loaded) and
   * returns {@code null}. Nothing is bound yet either way.
   */
  static CanaryProxy create(ProxyConfig c, PrintWriter err) {
    try {
      return new CanaryProxy(c);
    } catch (IllegalArgumentException e) {
      err.println(e.getMessage());
      err.flush();
      return null;
    }
  }

  /** One line describing a valid config. */
  static String summary(ProxyConfig c) {
    StringBuilder sb = new StringBuilder("ok: listen ").append(c.listen());
    sb.append(", admin ").append(c.admin().listen());
    sb.append(", ").append(c.backends().size()).append(" backends ").append(c.backends().keySet());
    sb.append(", canary ").append(c.routing().canaryPercent()).append("% of users");
    sb.append(", ").append(c.routing().rules().size()).append(" rules");
    if (c.mirror() != null) {
      sb.append(", mirror ").append(c.mirror().percent()).append("% to ").append(c.mirror().to());
    }
    if (c.rollout() != null) {
      sb.append(", rollout steps ").append(c.rollout().steps());
    }
    return sb.toString();
  }

  /**
   * Runs until SIGTERM/SIGINT, then runs {@code onSignal}, drains as configured and returns 0 (the
   * exit status).
   */
  static int runUntilSignalled(CanaryProxy proxy, ProxyConfig config, Runnable onSignal) {
    CountDownLatch stopped = new CountDownLatch(1);
    Signals.onTerminate(
        () -> {
          try {
            onSignal.run();
            proxy.drain(config.drain().delay(), config.drain().timeout());
          } catch (Exception e) {
            org.slf4j.LoggerFactory.getLogger(Main.class).warn("drain cut short: {}", e.toString());
          } finally {
            proxy.close();
            stopped.countDown();
          }
        });
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  @Command(
      name = "run",
      description = "Run the proxy with a config file.",
      mixinStandardHelpOptions = true)
  static final class Run implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "YAML config file")
    Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      ProxyConfig c = load(config, spec.commandLine().getErr());
      if (c == null) {
        return INVALID_CONFIG;
      }
      CanaryProxy proxy = create(c, spec.commandLine().getErr());
      if (proxy == null) {
        return INVALID_CONFIG;
      }
      proxy.start();
      proxy.watchConfig(config);
      Signals.onHangup(proxy::checkConfig);
      return runUntilSignalled(proxy, c, () -> {});
    }
  }

  @Command(
      name = "validate",
      description = "Check a config file and print a one-line summary.",
      mixinStandardHelpOptions = true)
  static final class Validate implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "YAML config file")
    Path config;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
      ProxyConfig c = load(config, spec.commandLine().getErr());
      if (c == null) {
        return INVALID_CONFIG;
      }
      spec.commandLine().getOut().println(summary(c));
      return 0;
    }
  }

  @Command(
      name = "demo",
      description =
          "Start demo stable, canary and shadow backends in this process with the proxy in front of them.",
      mixinStandardHelpOptions = true)
  static final class Demo implements Callable<Integer> {
    @Option(names = "--config", description = "a config to use instead of the embedded demo.yaml")
    Path config;

    @Option(
        names = "--canary-degrades-after",
        defaultValue = "30",
        description =
            "seconds after which the demo canary turns slow (0 = never); default ${DEFAULT-VALUE}")
    long degradeAfterSeconds;

    @Option(
        names = "--load",
        defaultValue = "150",
        description =
            "requests/s the demo sends itself, from 500 users (0 = none); default ${DEFAULT-VALUE}")
    double load;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
      ProxyConfig c;
      PrintWriter err = spec.commandLine().getErr();
      if (config != null) {
        c = load(config, err);
      } else {
        try (InputStream in = Main.class.getResourceAsStream("/demo.yaml")) {
          c = ConfigLoader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (ConfigException | IOException e) {
          err.println("embedded demo.yaml: " + e.getMessage());
          return INVALID_CONFIG;
        }
      }
      if (c == null) {
        return INVALID_CONFIG;
      }
      if (load < 0) {
        err.println("--load: " + load + " (expected: >= 0)");
        return INVALID_CONFIG;
      }
      if (config == null && c.rollout() != null && c.rollout().stateFile() != null) {
        // The embedded demo always starts a fresh rollout, so that every run shows the rollback
        // again.
        Files.deleteIfExists(c.rollout().stateFile());
      }
      PrintWriter out = spec.commandLine().getOut();
      List<DemoBackend> backends = startDemoBackends(c, degradeAfterSeconds);
      VerdictTrail trail = new VerdictTrail(out);
      CanaryProxy proxy = create(c, err);
      if (proxy == null) {
        return INVALID_CONFIG;
      }
      proxy.addRolloutListener(trail).addVerdictListener(trail).start();
      printTryThis(out, c, proxy, load > 0);
      DemoLoad traffic =
          load > 0
              ? new DemoLoad(
                  URI.create("http://" + c.listen().host() + ":" + proxy.proxyPort() + "/"),
                  load,
                  500)
              : null;
      int status =
          runUntilSignalled(
              proxy,
              c,
              () -> {
                if (traffic != null) {
                  traffic.close();
                }
              });
      backends.forEach(DemoBackend::close);
      return status;
    }
  }

  private static List<DemoBackend> startDemoBackends(ProxyConfig c, long degradeAfterSeconds)
      throws InterruptedException {
    List<DemoBackend> started = new ArrayList<>();
    long start = System.nanoTime();
    for (var e : c.backends().entrySet()) {
      String name = e.getKey();
      for (HostPort hp : e.getValue().endpoints()) {
        if (name.equals(c.routing().canary())) {
          started.add(
              new DemoBackend(
                  hp.host(),
                  hp.port(),
                  name,
                  () -> {
                    boolean degraded =
                        degradeAfterSeconds > 0
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
      }
    }
    return started;
  }

  private static void printTryThis(
      PrintWriter out, ProxyConfig c, CanaryProxy proxy, boolean ownLoad) {
    String url = "http://" + c.listen().host() + ":" + proxy.proxyPort();
    String admin = "http://" + c.admin().listen().host() + ":" + proxy.adminPort();
    out.println();
    out.println("canary-proxy demo is running.");
    out.println("  proxy: " + url + "    admin: " + admin);
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
      out.println("below turn FAIL and the rollout roll it back by itself.");
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
