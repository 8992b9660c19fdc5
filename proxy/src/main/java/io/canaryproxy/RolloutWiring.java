package io.canaryproxy;

import io.canaryproxy.admin.AdminResponse;
import io.canaryproxy.admin.AdminServer;
import io.canaryproxy.analysis.CanaryPercentSink;
import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutEventListener;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.analysis.WebhookNotifier;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.coordination.FleetCoordinator;
import io.canaryproxy.coordination.RolloutView;
import io.canaryproxy.lifecycle.Lifecycle;
import io.canaryproxy.metrics.MetricNames;
import io.canaryproxy.metrics.RolloutMeters;
import io.canaryproxy.routing.Router;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollout part of the composition root: the {@link RolloutController}, the {@link
 * FleetCoordinator} in front of it when the state lives in a shared store, the listeners of their
 * events and verdicts, their meters and their admin routes ({@code /admin/rollout...}). {@link
 * CanaryProxy} builds one and starts and closes it in its order.
 */
final class RolloutWiring implements AutoCloseable {
  // the composition root's logger, as before this part moved out of it: log lines keep their name
  private static final Logger log = LoggerFactory.getLogger(CanaryProxy.class);

  private final ProxyConfig config;
  private final RolloutController controller;
  private final FleetCoordinator coordinator;
  private final WebhookNotifier webhook;
  private final List<RolloutEventListener> eventListeners = new CopyOnWriteArrayList<>();
  private final List<Consumer<Verdict>> verdictListeners = new CopyOnWriteArrayList<>();
  private volatile String replicaId;

  /**
   * @param registry where the rollout's meters go
   * @param lifecycle the gates and business metrics the controller consults
   * @param share applies the canary percentage to the router
   */
  RolloutWiring(
      ProxyConfig config, MeterRegistry registry, Lifecycle lifecycle, CanaryPercentSink share) {
    this.config = config;
    List<RolloutEventListener> listeners = new ArrayList<>();
    listeners.add(
        event ->
            Counter.builder(MetricNames.ROLLOUT_EVENTS)
                .description("Rollout events by type")
                .tag(MetricNames.TAG_TYPE, event.type().tag())
                .register(registry)
                .increment());
    if (config.rollout() != null && config.rollout().webhook() != null) {
      webhook = new WebhookNotifier(config.rollout().webhook());
      listeners.add(webhook);
    } else {
      webhook = null;
    }
    listeners.add(event -> eventListeners.forEach(l -> l.onEvent(event)));
    if (config.rollout() != null
        && config.rollout().coordination().store() != CoordinationConfig.Store.FILE) {
      coordinator =
          new FleetCoordinator(
              config.rollout().coordination(),
              replicaId(),
              config.rollout().analysis().interval(),
              registry,
              Clock.systemUTC());
      this.controller =
          new RolloutController(
              config.rollout(),
              coordinator.sink(share),
              RolloutEventListener.all(listeners),
              Clock.systemUTC(),
              coordinator.store(),
              lifecycle.gatekeeper(),
              lifecycle.metrics());
    } else {
      coordinator = null;
      this.controller =
          new RolloutController(
              config.rollout(),
              share,
              RolloutEventListener.all(listeners),
              Clock.systemUTC(),
              lifecycle.gatekeeper(),
              lifecycle.metrics());
    }
  }

  RolloutController controller() {
    return controller;
  }

  /** The fleet coordinator, or {@code null} with {@code rollout.coordination.store: file}. */
  FleetCoordinator coordinator() {
    return coordinator;
  }

  /** Registers the rollout's gauges and counters: state, canary share, inconclusive looks. */
  void bindMeters(MeterRegistry registry, Router router) {
    FunctionCounter.builder(
            MetricNames.ROLLOUT_INCONCLUSIVE, controller, RolloutController::inconclusiveLooks)
        .description("Rollout judge looks that were inconclusive")
        .register(registry);
    RolloutMeters.bindTo(
        registry,
        () -> router.current().canaryPercent(),
        () -> controller.status().state().jsonName(),
        Arrays.stream(RolloutState.values()).map(RolloutState::jsonName).toList());
  }

  /** See {@link CanaryProxy#addRolloutListener}. */
  void addEventListener(RolloutEventListener listener) {
    eventListeners.add(listener);
  }

  /** See {@link CanaryProxy#addVerdictListener}. */
  void addVerdictListener(Consumer<Verdict> listener) {
    verdictListeners.add(listener);
  }

  /**
   * Judges one interval (this replica's, or the fleet's on the leader) and hands the verdict to the
   * verdict listeners. Called on the metrics thread.
   */
  void onInterval(JudgeInput interval) {
    (coordinator == null ? controller.onInterval(interval) : coordinator.onInterval(interval))
        .ifPresent(this::publish);
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

  /** {@code GET /admin/rollout}, the operator calls and {@code GET /admin/rollout/history}. */
  void addRoutes(AdminServer admin) {
    admin.route(
        HttpMethod.GET,
        "/admin/rollout",
        request ->
            AdminResponse.json(
                200,
                new RolloutView(
                    controller.status(),
                    coordinator == null ? RolloutView.single(replicaId()) : coordinator.status())));
    operation(admin, "pause", controller::pause);
    operation(admin, "resume", controller::resume);
    operation(admin, "promote", controller::promote);
    operation(admin, "rollback", controller::rollback);
    operation(admin, "restart", controller::restart);
    admin.route(
        HttpMethod.GET,
        "/admin/rollout/history",
        request -> AdminResponse.json(200, controller.history()));
  }

  private void operation(
      AdminServer admin, String name, Supplier<RolloutController.OperationResult> op) {
    admin.mutatingRoute(
        "/admin/rollout/" + name,
        request -> {
          RolloutController.OperationResult result =
              coordinator == null ? op.get() : coordinator.operate(name, op);
          return AdminResponse.json(result.ok() ? 200 : 409, result);
        });
  }

  /**
   * Joins the fleet, when there is one, and adopts its state: call it before the proxy listener
   * opens, so that the first request is routed as the rest of the fleet routes it.
   *
   * @throws UncheckedIOException when the store cannot be reached, naming where it was looked for
   */
  void join() {
    if (coordinator == null) {
      return;
    }
    try {
      coordinator.start(controller);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "rollout.coordination: cannot join the fleet at "
              + (config.rollout().coordination().store() == CoordinationConfig.Store.ETCD
                  ? config.rollout().coordination().endpoints()
                  : coordinator.store().describe())
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** Starts the rollout (a no-op without a rollout section); after {@link #join()}. */
  void start() {
    controller.start();
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

  /** Leaves the fleet, when there is one, releasing any leadership at once. */
  void leaveFleet() {
    if (coordinator != null) {
      coordinator.close();
    }
  }

  /** Stops the webhook's sender; after {@link #leaveFleet()} and once nothing emits events. */
  @Override
  public void close() {
    if (webhook != null) {
      webhook.close();
    }
  }
}
