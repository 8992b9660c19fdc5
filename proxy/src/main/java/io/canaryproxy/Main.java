package io.canaryproxy;

import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Function;
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
    subcommands = {Main.Run.class, Main.Validate.class, DemoCommand.class})
public final class Main implements Callable<Integer> {
  /** Exit status for an invalid configuration. */
  static final int INVALID_CONFIG = 2;

  /** Exit status when a listener cannot be bound, e.g. its port is in use. */
  static final int LISTEN_FAILED = 3;

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    LeakDetection.applyDefault();
    // `run --config FILE`, what every container runs, skips picocli: its ~180 classes (and the
    // reflection over these annotations) cost start-up CPU and RSS in every sidecar (issue 20).
    // Anything else (help, version, validate, demo, another spelling) goes through picocli.
    Path config = DirectRun.configOf(args);
    if (config != null) {
      int status;
      try {
        status = run(config, new PrintWriter(System.err, true));
      } catch (Exception e) { // status 1 as picocli gives; the stack trace in the log
        org.slf4j.LoggerFactory.getLogger(Main.class).error("run --config {} failed", config, e);
        status = 1;
      }
      System.exit(status);
    }
    System.exit(new CommandLine(new Main()).execute(args));
  }

  /** {@code run --config FILE}: runs the proxy until signalled; returns the exit status. */
  static int run(Path config, PrintWriter err) throws IOException, InterruptedException {
    org.slf4j.LoggerFactory.getLogger(Main.class)
        .info(
            "Netty leak detection: {}",
            ResourceLeakDetector.getLevel().name().toLowerCase(Locale.ROOT));
    ProxyConfig c = load(config, err);
    if (c == null) {
      return INVALID_CONFIG;
    }
    CanaryProxy proxy = create(c, err);
    if (proxy == null) {
      return INVALID_CONFIG;
    }
    if (!start(proxy, err, f -> "change " + f.what() + " in " + config)) {
      return LISTEN_FAILED;
    }
    proxy.watchConfig(config);
    Signals.onHangup(proxy::checkConfig);
    return runUntilSignalled(proxy, c, () -> {});
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

  /**
   * Starts {@code proxy}, or prints one line saying which listener could not be bound, closes it
   * and returns false.
   *
   * @param hint what the user can do about it, e.g. {@code try --listen 127.0.0.1:0}
   */
  static boolean start(CanaryProxy proxy, PrintWriter err, Function<ListenFailure, String> hint)
      throws InterruptedException {
    try {
      proxy.start();
      return true;
    } catch (ListenFailure e) {
      err.println(e.oneLine(hint.apply(e)));
      err.flush();
      proxy.close();
      return false;
    }
  }

  /** One line describing a valid config. */
  static String summary(ProxyConfig c) {
    StringBuilder sb = new StringBuilder("ok: listen ").append(c.listen());
    sb.append(", admin ").append(c.admin().listen());
    sb.append(", ").append(c.backends().size()).append(" backends ").append(c.backends().keySet());
    if (c.rollout() == null) {
      sb.append(", canary ").append(c.routing().canaryPercent()).append("% of users");
    } else {
      // The rollout owns the share: it starts at its first step (routing.canaryPercent is unused).
      sb.append(", canary ")
          .append(c.rollout().shadowGate() ? 0.0 : c.rollout().steps().get(0))
          .append("% of users at start (")
          .append(c.rollout().shadowGate() ? "shadow gate" : "first rollout step")
          .append(")");
    }
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
      return Main.run(config, spec.commandLine().getErr());
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
}
