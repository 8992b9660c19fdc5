package io.canaryproxy;

import io.canaryproxy.config.ConfigDiff;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.ConfigWatcher;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.metrics.ExperimentMetrics;
import io.canaryproxy.metrics.ReloadMeters;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.server.ProxyServer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies new versions of the config file to a running proxy, and knows which config is live. See
 * {@link CanaryProxy#watchConfig} and {@link CanaryProxy#reload}.
 */
final class ConfigReloads implements AutoCloseable {
  // the composition root's logger, as before this part moved out of it: log lines keep their name
  private static final Logger log = LoggerFactory.getLogger(CanaryProxy.class);

  /** How often the config file is re-read in case a change event was missed. */
  private static final Duration RELOAD_POLL = Duration.ofSeconds(2);

  private final ProxyServer proxy;
  private final Router router;
  private final ExperimentMetrics experiments;
  private final ReloadMeters reloads;
  private final boolean rolloutOwnsPercent;
  private ConfigWatcher watcher;
  private volatile ProxyConfig live;

  /**
   * @param started the config the proxy was started with
   * @param rolloutOwnsPercent whether a rollout sets the canary percentage (a reload keeps it)
   */
  ConfigReloads(
      ProxyConfig started,
      ProxyServer proxy,
      Router router,
      ExperimentMetrics experiments,
      ReloadMeters reloads,
      boolean rolloutOwnsPercent) {
    this.live = started;
    this.proxy = proxy;
    this.router = router;
    this.experiments = experiments;
    this.reloads = reloads;
    this.rolloutOwnsPercent = rolloutOwnsPercent;
  }

  /** The config in effect: the reloaded backends and routing, every other section as started. */
  ProxyConfig live() {
    return live;
  }

  /** Applies a new config; {@link CanaryProxy#reload}, which serializes the reloads. */
  interface Apply {
    void apply(ProxyConfig next) throws InterruptedException;
  }

  /** See {@link CanaryProxy#watchConfig}; each new valid version goes to {@code apply}. */
  void watch(Path file, Apply apply) throws IOException {
    byte[] running;
    try {
      running = ConfigFiles.readConfig(file);
    } catch (ConfigException e) {
      running = new byte[0]; // the watcher reports the problem on its first check
    }
    watcher =
        new ConfigWatcher(
            file,
            running,
            next -> {
              try {
                apply.apply(next);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            },
            errors -> {
              reloads.failed();
              errors.forEach(
                  e -> log.error("config reload rejected, the running config stays: {}", e));
            });
    watcher.start(RELOAD_POLL);
  }

  /** Re-reads the watched config file now (what SIGHUP does). */
  void check() {
    if (watcher != null) {
      watcher.check();
    }
  }

  /** See {@link CanaryProxy#reload}; called under the proxy's lock, one reload at a time. */
  void reload(ProxyConfig next) throws InterruptedException {
    List<String> restartOnly = ConfigDiff.restartOnly(live, next);
    proxy.updateBackends(next.backends());
    RoutingTable compiled = RoutingTable.compile(next.routing());
    experiments.arms(compiled.armNames());
    router.update(
        current ->
            rolloutOwnsPercent ? compiled.withCanaryPercent(current.canaryPercent()) : compiled);
    live = live.withReloaded(next);
    reloads.succeeded();
    log.info(
        "config reloaded: {} backends, canary {}%{}",
        next.backends().size(),
        router.current().canaryPercent(),
        restartOnly.isEmpty()
            ? ""
            : "; changed but applied only on restart: " + String.join(", ", restartOnly));
  }

  /** Stops watching the file. */
  @Override
  public void close() {
    if (watcher != null) {
      watcher.close();
    }
  }
}
