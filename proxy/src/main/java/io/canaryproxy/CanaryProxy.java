package io.canaryproxy;

import io.canaryproxy.admin.AdminServer;
import io.canaryproxy.admin.EffectiveConfig;
import io.canaryproxy.admin.EndpointsJson;
import io.canaryproxy.admin.ExperimentsJson;
import io.canaryproxy.analysis.CanaryJudge;
import io.canaryproxy.analysis.CanaryPercentSink;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutEventListener;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.ConfigDiff;
import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.coordination.FleetCoordinator;
import io.canaryproxy.coordination.RolloutFeed;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.CompositeListener;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.lifecycle.Lifecycle;
import io.canaryproxy.metrics.AccessLog;
import io.canaryproxy.metrics.DnsMeters;
import io.canaryproxy.metrics.ExperimentMetrics;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.MetricNames;
import io.canaryproxy.metrics.MetricsScheduler;
import io.canaryproxy.metrics.MicrometerBinding;
import io.canaryproxy.metrics.ReloadMeters;
import io.canaryproxy.metrics.TunnelMeters;
import io.canaryproxy.mirroring.Mirroring;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.routing.Variant;
import io.canaryproxy.server.ProxyServer;
import io.canaryproxy.tls.TlsProvider;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every part from one {@link ProxyConfig}, starts them in order, and
 * drains and stops them. {@link Main} is only the command line around it.
 */
public final class CanaryProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CanaryProxy.class);

  private final ProxyConfig config;
  private final Router router;
  private final LatencyRecorders recorders;
  private final ExperimentMetrics experiments;
  private final MicrometerBinding metrics;
  private final AccessLog accessLog;
  private final RolloutWiring rollout;
  private final Lifecycle lifecycle;
  private final Mirroring mirroring;
  private final RolloutFeed feed;
  private final ProxyServer proxy;
  private final AdminServer admin;
  private final MetricsScheduler scheduler;
  private final ScheduledExecutorService executor;
  private final ConfigReloads reloads;

  /** {@code openssl} or {@code jdk} when the listener or a backend uses TLS, else null. */
  private final String tlsProvider;

  private volatile boolean ready;
  private volatile boolean draining;

  public CanaryProxy(ProxyConfig config) {
    this.config = config;
    this.tlsProvider = usesTls(config) ? TlsProvider.name() : null;
    // With a rollout, the rollout owns the share: nobody goes to the canary before it starts.
    RoutingTable table = RoutingTable.compile(config.routing());
    this.router = new Router(config.rollout() == null ? table : table.withCanaryPercent(0));
    MetricsConfig m = config.metrics();
    if (config.rollout() != null) {
      // With a rollout, every histogram interval is one analysis interval, so the judge sees
      // exactly one.
      m =
          new MetricsConfig(
              m.lowestMicros(),
              m.highestMicros(),
              m.significantDigits(),
              config.rollout().analysis().interval(),
              m.window(),
              m.jvmMeters());
    }
    this.recorders = new LatencyRecorders(m);
    this.metrics =
        new MicrometerBinding(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), m.jvmMeters());
    // First of the parts that read files or start threads: a token file that cannot be read
    // fails here, before any thread is started or any port bound.
    this.admin =
        new AdminServer(
            config.admin(),
            this::effectiveConfig,
            metrics,
            recorders,
            () -> ready && !draining,
            this::mirrorStats);
    this.experiments = new ExperimentMetrics(metrics, m);
    experiments.arms(table.armNames());
    List<ProxyListener> listeners =
        new ArrayList<>(
            List.of(recorders, metrics, experiments, new TunnelMeters(metrics.registry())));
    if (config.accessLog().enabled()) {
      accessLog = new AccessLog(config.accessLog());
      accessLog.bindTo(metrics.registry());
      listeners.add(accessLog);
    } else {
      accessLog = null;
    }

    this.lifecycle = new Lifecycle(config.rollout(), config.routing().canary(), Clock.systemUTC());
    CanaryPercentSink share = percent -> router.update(t -> t.withCanaryPercent(percent));
    this.rollout = new RolloutWiring(config, metrics.registry(), lifecycle, share);
    listeners.add(lifecycle.watchRevisions(rollout.controller()));
    rollout.bindMeters(metrics.registry(), router);
    if (config.mirror() != null) {
      mirroring =
          new Mirroring(
              config.mirror(),
              config.backends(),
              config.routing().stable(),
              config.routing().salt(),
              config.timeouts(),
              micros -> recorders.record(Variant.SHADOW, micros, micros, false));
      mirroring.stats().bindTo(metrics.registry());
    } else {
      mirroring = null;
    }
    this.feed =
        new RolloutFeed(
            mirroring == null ? null : mirroring.stats(),
            mirroring != null && mirroring.baselineOn());
    ReloadMeters reloadMeters = new ReloadMeters(metrics.registry());
    EndpointDirectory directory = new EndpointDirectory(config.dns());
    this.proxy =
        ServerWiring.proxyServer(
            config, router, new CompositeListener(listeners), mirroring, directory);
    proxy.forwarding().setRevisionHeader(lifecycle.revisionHeader());
    FunctionCounter.builder(
            MetricNames.CLIENT_CONNECTIONS_REJECTED, proxy, ProxyServer::rejectedConnections)
        .description("Client connections closed at once: limits.maxClientConnections were open")
        .register(metrics.registry());
    this.reloads =
        new ConfigReloads(
            config, proxy, router, experiments, reloadMeters, config.rollout() != null);
    rollout.addRoutes(admin);
    admin.route(
        HttpMethod.GET,
        "/admin/endpoints",
        EndpointsJson.handler(() -> reloads.live().backends(), directory));
    DnsMeters.bindTo(metrics.registry(), directory);
    this.scheduler = new MetricsScheduler(recorders, m.interval());
    scheduler.addListener(snapshot -> experiments.roll());
    admin.route(
        HttpMethod.GET,
        "/admin/experiments",
        ExperimentsJson.handler(
            recorders,
            experiments::cumulative,
            new CanaryJudge(ExperimentsJson.analysis(config.rollout()), Clock.systemUTC())));
    if (config.rollout() != null) {
      scheduler.addListener(snapshot -> rollout.onInterval(feed.next(snapshot)));
    }
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "canary-metrics");
              t.setDaemon(true);
              return t;
            });
  }

  /** True when the listener or a backend speaks TLS (only then is OpenSSL loaded). */
  private static boolean usesTls(ProxyConfig config) {
    return config.tls() != null
        || config.backends().values().stream().anyMatch(BackendConfig::tlsEnabled);
  }

  /**
   * Adds a listener for every rollout event (after the built-in metric and webhook ones). Called on
   * the thread that caused the event while the controller holds its lock, so it must be quick; add
   * it before {@link #start()} to see the {@code started} event.
   */
  public CanaryProxy addRolloutListener(RolloutEventListener listener) {
    rollout.addEventListener(listener);
    return this;
  }

  /**
   * Adds a listener for every interval verdict, called on the metrics thread after the controller
   * has applied it (so after any event the verdict caused). An exception it throws is logged and
   * ignored.
   */
  public CanaryProxy addVerdictListener(Consumer<Verdict> listener) {
    rollout.addVerdictListener(listener);
    return this;
  }

  /** What {@code /admin/config} shows: the live config. */
  private EffectiveConfig effectiveConfig() {
    return new EffectiveConfig(reloads.live(), tlsProvider);
  }

  /** The {@code mirror} object of {@code /admin/stats}. */
  private Map<String, Object> mirrorStats() {
    return mirroring == null ? Map.of() : mirroring.stats().snapshot();
  }

  /**
   * Watches {@code file} (the file this proxy was started with) and applies each new valid version;
   * see {@link #reload(ProxyConfig)}. An invalid or unreadable version is logged, error by error
   * with its YAML path or file name, and counted, and the running config stays live. Reading,
   * parsing and applying happen on the watcher's own thread, never on the metrics thread that feeds
   * the rollout judge.
   */
  public void watchConfig(Path file) throws IOException {
    reloads.watch(file, this::reload);
  }

  /** Re-reads the watched config file now (what SIGHUP does). */
  public void checkConfig() {
    reloads.check();
  }

  /**
   * Applies a new, validated config without dropping a request. Backends and routing (rules, user
   * key, override, salt, percent) change at once: backends first, keeping the pools of endpoints
   * that stay, then the routing table in one atomic swap, so requests in flight finish on the
   * snapshot they started with. While a rollout is configured it owns the canary percentage, so a
   * reload keeps the current one. Other sections take effect on the next start, and the log says
   * which changed ({@link ConfigDiff}); {@code /admin/config} shows what is live.
   */
  public synchronized void reload(ProxyConfig next) throws InterruptedException {
    reloads.reload(next);
  }

  /**
   * Binds the admin listener and the proxy listener, then starts the rollout and the interval
   * scheduler. Listeners go first so that a port in use fails before the rollout writes its state
   * file; until the rollout applies its share the router sends no one to the canary. With a fleet
   * store, the replica joins the fleet and adopts its state between the two listeners, so that its
   * first request is routed as the rest of the fleet routes it.
   *
   * @throws ListenFailure when a listener cannot be bound; {@link #close()} releases what started
   */
  public CanaryProxy start() throws InterruptedException {
    try {
      admin.start(proxy.group()); // no event loop of its own: one thread and one transport fewer
    } catch (IllegalArgumentException | InterruptedException e) {
      throw e; // a refused address (e.g. off loopback with no token) is a config error
    } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
      throw new ListenFailure("admin.listen", config.admin().listen(), e);
    }
    rollout.join(); // before the listener opens: route by the fleet's state
    try {
      proxy.start();
    } catch (InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new ListenFailure("listen", config.listen(), e);
    }
    rollout.start();
    lifecycle.start();
    scheduler.start(executor);
    ready = true;
    return this;
  }

  public int proxyPort() {
    return proxy.port();
  }

  public int adminPort() {
    return admin.port();
  }

  public Router router() {
    return router;
  }

  public RolloutController rollout() {
    return rollout.controller();
  }

  /** The fleet coordinator, or {@code null} with {@code rollout.coordination.store: file}. */
  public FleetCoordinator coordinator() {
    return rollout.coordinator();
  }

  /**
   * Graceful drain, as Kubernetes expects: /readyz turns 503 at once, the proxy keeps serving for
   * {@code delay} while endpoint removal propagates, then stops accepting, answers with {@code
   * Connection: close}, and waits up to {@code timeout} for requests in flight and open WebSocket
   * tunnels, closing the tunnels still open then. Blocks the calling thread (the shutdown hook)
   * until done.
   */
  public void drain(Duration delay, Duration timeout) throws Exception {
    draining = true;
    log.info("draining: readiness off, serving for {} more", delay);
    executor
        .schedule(
            () -> {
              proxy.forwarding().setDraining(true);
              proxy.stopAccepting();
              log.info(
                  "draining: listener closed, waiting up to {} for requests in flight", timeout);
            },
            delay.toMillis(),
            TimeUnit.MILLISECONDS)
        .get();
    if (proxy.forwarding().awaitIdle(timeout)) {
      log.info("drained: no request in flight, no tunnel open");
    } else {
      int tunnels = proxy.forwarding().closeTunnels();
      log.info("drain timeout: closing requests still in flight and {} open tunnels", tunnels);
    }
  }

  @Override
  public void close() {
    ready = false;
    reloads.close();
    scheduler.stop();
    executor.shutdownNow();
    rollout.leaveFleet();
    try {
      admin.stop(); // first: it runs on the proxy's event loops, which proxy.close ends
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    proxy.close(Duration.ofSeconds(2));
    lifecycle.close();
    rollout.close();
    if (accessLog != null) {
      accessLog.close();
    }
    metrics.close();
  }
}
