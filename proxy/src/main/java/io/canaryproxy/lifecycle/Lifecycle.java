package io.canaryproxy.lifecycle;

import io.canaryproxy.analysis.Gatekeeper;
import io.canaryproxy.analysis.MetricSource;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.config.LifecycleConfig;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.forwarding.ProxyListener;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Builds the lifecycle parts that a {@code rollout} section asks for, on one daemon thread
 * ("canary-lifecycle") with one JDK {@link HttpClient}; neither exists when no gate, metric check
 * or revision source is configured. Order: construct, build the controller with {@link
 * #gatekeeper()} and {@link #metrics()}, then {@link #watchRevisions}, {@link #start()}, and {@link
 * #close()}.
 */
public final class Lifecycle implements AutoCloseable {
  /** Shortest pause between two rounds of a failing gate. */
  private static final Duration MIN_ROUND_PAUSE = Duration.ofMillis(500);

  private final LifecycleConfig config;
  private final ScheduledExecutorService executor;
  private final HttpClient client;
  private final Gatekeeper gatekeeper;
  private final PrometheusChecks metrics;
  private RevisionWatcher revisions;

  /**
   * @param rollout the rollout section, or {@code null}
   * @param canaryBackend the canary's backend name, for {@code {{backend}}} in queries
   */
  public Lifecycle(RolloutConfig rollout, String canaryBackend, Clock clock) {
    this.config = rollout == null ? LifecycleConfig.DEFAULTS : rollout.lifecycle();
    boolean needed =
        !config.gates().preRollout().isEmpty()
            || !config.gates().preStep().isEmpty()
            || !config.gates().prePromotion().isEmpty()
            || !config.metrics().isEmpty()
            || config.revision() != null;
    if (!needed) {
      executor = null;
      client = null;
      gatekeeper = Gatekeeper.NONE;
      metrics = null;
      return;
    }
    executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "canary-lifecycle");
              t.setDaemon(true);
              return t;
            });
    client =
        HttpClient.newBuilder()
            .connectTimeout(Duration.ofSeconds(5))
            .executor(executor)
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    Duration interval = rollout.analysis().interval();
    gatekeeper =
        new HttpGatekeeper(
            config.gates(),
            executor,
            client,
            interval.compareTo(MIN_ROUND_PAUSE) < 0 ? MIN_ROUND_PAUSE : interval);
    metrics =
        config.metrics().isEmpty()
            ? null
            : new PrometheusChecks(config.metrics(), canaryBackend, executor, client, clock);
  }

  public Gatekeeper gatekeeper() {
    return gatekeeper;
  }

  public MetricSource metrics() {
    return metrics == null ? MetricSource.NONE : metrics;
  }

  /**
   * A listener that reports the canary's revision header to {@code controller} (a no-op without
   * {@code rollout.revision.header}); also readies URL polling.
   */
  public ProxyListener watchRevisions(RolloutController controller) {
    if (config.revision() == null) {
      return new ProxyListener() {};
    }
    revisions = new RevisionWatcher(config.revision(), controller, executor, client);
    return revisions;
  }

  /** The response header to copy into each exchange for {@link #watchRevisions}, or null. */
  public String revisionHeader() {
    return config.revision() == null ? null : config.revision().header();
  }

  /** Starts the metric queries and revision polling; call after the controller has started. */
  public void start() {
    if (metrics != null) {
      metrics.start();
    }
    if (revisions != null) {
      revisions.start();
    }
  }

  @Override
  public void close() {
    if (executor != null) {
      executor.shutdownNow();
    }
  }
}
