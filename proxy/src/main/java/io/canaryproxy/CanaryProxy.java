package io.canaryproxy;

import io.canaryproxy.admin.AdminResponse;
import io.canaryproxy.admin.AdminServer;
import io.canaryproxy.admin.EffectiveConfig;
import io.canaryproxy.admin.EndpointsJson;
import io.canaryproxy.admin.ExperimentsJson;
import io.canaryproxy.analysis.CanaryJudge;
import io.canaryproxy.analysis.CanaryPercentSink;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutEventListener;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.analysis.WebhookNotifier;
import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.ConfigDiff;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.ConfigWatcher;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.coordination.FleetCoordinator;
import io.canaryproxy.coordination.RolloutFeed;
import io.canaryproxy.coordination.RolloutView;
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
import io.canaryproxy.metrics.RolloutMeters;
import io.canaryproxy.metrics.TunnelMeters;
import io.canaryproxy.mirroring.Mirroring;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.routing.Variant;
import io.canaryproxy.server.ProxyServer;
import io.canaryproxy.tls.TlsProvider;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The composition root: builds every part from one {@link ProxyConfig}, starts them in order, and
 * drains and stops them. {@link Main} is only the command line around it.
 */
public final class CanaryProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CanaryProxy.class);

  /** How often the config file is re-read in case a change event was missed. */
  private static final Duration RELOAD_POLL = Duration.ofSeconds(2);

  private final ProxyConfig config;
  private final Router router;
  private final LatencyRecorders recorders;
  private final ExperimentMetrics experiments;
  private final MicrometerBinding metrics;
  private final AccessLog accessLog;
  private final WebhookNotifier webhook;
  private final RolloutController rollout;
  private final Lifecycle lifecycle;
  private final Mirroring mirroring;
  private final RolloutFeed feed;
  private volatile String replicaId;
  private final FleetCoordinator coordinator;
  private final ProxyServer proxy;
  private final AdminServer admin;
  private final MetricsScheduler scheduler;
  private final ScheduledExecutorService executor;
  private final ReloadMeters reloads;
  private ConfigWatcher watcher;
  private volatile ProxyConfig live;

  /** {@code openssl} or {@code jdk} when the listener or a backend uses TLS, else null. */
  private final String tlsProvider;

  private final List<RolloutEventListener> eventListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Verdict>> verdictListeners = new CopyOnWriteArrayList<>();
  private volatile boolean ready;
  private volatile boolean draining;

  public CanaryProxy(ProxyConfig config) {
    this.config = config;
    this.live = config;
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
            () -> new EffectiveConfig(live, tlsProvider),
            metrics,
            recorders,
            () -> ready && !draining,
            this::mirrorStats);
    this.experiments = new ExperimentMetrics(metrics.registry(), m);
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

    List<RolloutEventListener> rolloutListeners = new ArrayList<>();
    rolloutListeners.add(
        event ->
            Counter.builder(MetricNames.ROLLOUT_EVENTS)
                .description("Rollout events by type")
                .tag(MetricNames.TAG_TYPE, event.type().tag())
                .register(metrics.registry())
                .increment());
    if (config.rollout() != null && config.rollout().webhook() != null) {
      webhook = new WebhookNotifier(config.rollout().webhook());
      rolloutListeners.add(webhook);
    } else {
      webhook = null;
    }
    rolloutListeners.add(event -> eventListeners.forEach(l -> l.onEvent(event)));
    this.lifecycle = new Lifecycle(config.rollout(), config.routing().canary(), Clock.systemUTC());
    CanaryPercentSink share = percent -> router.update(t -> t.withCanaryPercent(percent));
    if (config.rollout() != null
        && config.rollout().coordination().store() != CoordinationConfig.Store.FILE) {
      coordinator =
          new FleetCoordinator(
              config.rollout().coordination(),
              replicaId(),
              config.rollout().analysis().interval(),
              metrics.registry(),
              Clock.systemUTC());
      this.rollout =
          new RolloutController(
              config.rollout(),
              coordinator.sink(share),
              RolloutEventListener.all(rolloutListeners),
              Clock.systemUTC(),
              coordinator.store(),
              lifecycle.gatekeeper(),
              lifecycle.metrics());
    } else {
      coordinator = null;
      this.rollout =
          new RolloutController(
              config.rollout(),
              share,
              RolloutEventListener.all(rolloutListeners),
              Clock.systemUTC(),
              lifecycle.gatekeeper(),
              lifecycle.metrics());
    }
    listeners.add(lifecycle.watchRevisions(rollout));
    FunctionCounter.builder(
            MetricNames.ROLLOUT_INCONCLUSIVE, rollout, RolloutController::inconclusiveLooks)
        .description("Rollout judge looks that were inconclusive")
        .register(metrics.registry());

    RolloutMeters.bindTo(
        metrics.registry(),
        () -> router.current().canaryPercent(),
        () -> rollout.status().state().jsonName(),
        Arrays.stream(RolloutState.values()).map(RolloutState::jsonName).toList());
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
    this.reloads = new ReloadMeters(metrics.registry());
    EndpointDirectory directory = new EndpointDirectory(config.dns());
    this.proxy =
        ServerWiring.proxyServer(
            config, router, new CompositeListener(listeners), mirroring, directory);
    proxy.forwarding().setRevisionHeader(lifecycle.revisionHeader());
    FunctionCounter.builder(
            MetricNames.CLIENT_CONNECTIONS_REJECTED, proxy, ProxyServer::rejectedConnections)
        .description("Client connections closed at once: limits.maxClientConnections were open")
        .register(metrics.registry());
    addRolloutRoutes();
    admin.route(
        HttpMethod.GET,
        "/admin/endpoints",
        EndpointsJson.handler(() -> live.backends(), directory));
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
      scheduler.addListener(
          snapshot ->
              (coordinator == null
                      ? rollout.onInterval(feed.next(snapshot))
                      : coordinator.onInterval(feed.next(snapshot)))
                  .ifPresent(this::publish));
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
    eventListeners.add(listener);
    return this;
  }

  /**
   * Adds a listener for every interval verdict, called on the metrics thread after the controller
   * has applied it (so after any event the verdict caused). An exception it throws is logged and
   * ignored.
   */
  public CanaryProxy addVerdictListener(Consumer<Verdict> listener) {
    verdictListeners.add(listener);
    return this;
  }

  /** The {@code mirror} object of {@code /admin/stats}. */
  private Map<String, Object> mirrorStats() {
    return mirroring == null ? Map.of() : mirroring.stats().snapshot();
  }

  private void publish(Verdict verdict) {
    for (Consumer<Verdict> l : verdictListeners) {
      try {
        l.accept(verdict);
      } catch (RuntimeException e) {
        log.warn("verdict listener {} failed", l, e);
      }
    }
  }

  private void addRolloutRoutes() {
    admin.route(
        HttpMethod.GET,
        "/admin/rollout",
        request ->
            AdminResponse.json(
                200,
                new RolloutView(
                    rollout.status(),
                    coordinator == null ? RolloutView.single(replicaId()) : coordinator.status())));
    operation("pause", rollout::pause);
    operation("resume", rollout::resume);
    operation("promote", rollout::promote);
    operation("rollback", rollout::rollback);
    operation("restart", rollout::restart);
    admin.route(
        HttpMethod.GET,
        "/admin/rollout/history",
        request -> AdminResponse.json(200, rollout.history()));
  }

  private void operation(String name, Supplier<RolloutController.OperationResult> op) {
    admin.mutatingRoute(
        "/admin/rollout/" + name,
        request -> {
          RolloutController.OperationResult result =
              coordinator == null ? op.get() : coordinator.operate(name, op);
          return AdminResponse.json(result.ok() ? 200 : 409, result);
        });
  }

  /**
   * Watches {@code file} (the file this proxy was started with) and applies each new valid version;
   * see {@link #reload(ProxyConfig)}. An invalid or unreadable version is logged, error by error
   * with its YAML path or file name, and counted, and the running config stays live. Reading,
   * parsing and applying happen on the watcher's own thread, never on the metrics thread that feeds
   * the rollout judge.
   */
  public void watchConfig(Path file) throws IOException {
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
                reload(next);
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
  public void checkConfig() {
    if (watcher != null) {
      watcher.check();
    }
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
    List<String> restartOnly = ConfigDiff.restartOnly(live, next);
    proxy.updateBackends(next.backends());
    RoutingTable compiled = RoutingTable.compile(next.routing());
    experiments.arms(compiled.armNames());
    boolean rolloutOwnsPercent = config.rollout() != null;
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
    if (coordinator != null) {
      try {
        coordinator.start(rollout); // before the listener opens: route by the fleet's state
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(
            "rollout.coordination: cannot join the fleet at "
                + (config.rollout().coordination().store() == CoordinationConfig.Store.ETCD
                    ? config.rollout().coordination().endpoints()
                    : coordinator.store().describe())
                + ": "
                + e.getMessage(),
            e);
      }
    }
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
    return rollout;
  }

  /** The fleet coordinator, or {@code null} with {@code rollout.coordination.store: file}. */
  public FleetCoordinator coordinator() {
    return coordinator;
  }

  /**
   * This replica's id: {@code rollout.coordination.replicaId}, else {@code hostname/listen} so that
   * two replicas on one host differ.
   */
  private String replicaId() {
    String id = replicaId;
    if (id != null) {
      return id;
    }
    if (config.rollout() != null && config.rollout().coordination().replicaId() != null) {
      id = config.rollout().coordination().replicaId();
    } else {
      String host;
      try {
        // asked on first use only: resolving the local name can take a while, and only the
        // fleet and /admin/rollout need it
        host = InetAddress.getLocalHost().getHostName();
      } catch (UnknownHostException e) {
        host = "localhost";
      }
      id = host + "/" + config.listen();
    }
    replicaId = id;
    return id;
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
    if (watcher != null) {
      watcher.close();
    }
    scheduler.stop();
    executor.shutdownNow();
    if (coordinator != null) {
      coordinator.close();
    }
    try {
      admin.stop(); // first: it runs on the proxy's event loops, which proxy.close ends
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    proxy.close(Duration.ofSeconds(2));
    lifecycle.close();
    if (webhook != null) {
      webhook.close();
    }
    if (accessLog != null) {
      accessLog.close();
    }
    metrics.close();
  }
}
