package io.canaryproxy.coordination;

import io.canaryproxy.analysis.CanaryPercentSink;
import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutController.OperationResult;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.analysis.RolloutStore;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.metrics.MetricNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rollout per fleet on a {@link FleetStore} (etcd or Kubernetes; ARCHITECTURE.md decision 8).
 * Every replica holds a session ({@code leaseTtl}, renewed every third of it) and follows the
 * stored state through a watch, applying each change as it arrives. The replica that holds the
 * leadership is the leader: each interval it sums the evidence every replica published, judges the
 * sum and writes the new state by compare-and-set. When the leader dies its leadership lapses and
 * the first follower to see it takes over from the stored state. A replica that cannot reach the
 * store is {@code stale}: it routes by the last state it saw, and with {@code failSafe: stable}
 * sends everyone to stable once {@code staleAfter} has passed; when the store answers again it
 * re-reads the state and carries on.
 *
 * <p>Threads: one scheduler thread (lease, election, fail-safe), one watch thread ({@link
 * FleetWatch}), and the caller's thread for {@link #onInterval} (the metrics thread) and {@link
 * #operate} (admin). {@link AppliedState} keeps which stored revision this replica routes by.
 */
public final class FleetCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetCoordinator.class);

  /** Tries of an operator call whose write the store refuses as based on an old state. */
  static final int OPERATION_ATTEMPTS = 5;

  private final CoordinationConfig config;
  private final String replicaId;
  private final Clock clock;
  private final FleetStore fleet;
  private final FleetRolloutStore store;
  private final FleetLedger ledger;
  private final ScheduledExecutorService scheduler;
  private final FleetWatch watcher;
  private final Staleness staleness;
  private final AppliedState applied;
  private RolloutController controller;

  private volatile boolean running = true;
  private volatile boolean leader;
  private volatile String leaderId;
  private long seq;

  /**
   * A coordinator for the store of {@code config}; nothing is contacted before {@link #start}.
   *
   * @param replicaId this replica's id, unique in the fleet
   * @param interval the analysis interval: replicas unheard of for three of them leave the list
   */
  public FleetCoordinator(
      CoordinationConfig config,
      String replicaId,
      Duration interval,
      MeterRegistry registry,
      Clock clock) {
    this(
        config,
        replicaId,
        interval,
        registry,
        clock,
        FleetStores.open(config, replicaId, registry, clock));
  }

  FleetCoordinator(
      CoordinationConfig config,
      String replicaId,
      Duration interval,
      MeterRegistry registry,
      Clock clock,
      FleetStore fleet) {
    this.config = config;
    this.replicaId = replicaId;
    this.clock = clock;
    this.fleet = fleet;
    this.staleness = new Staleness(config, clock);
    this.applied = new AppliedState(clock);
    this.ledger = new FleetLedger(clock, interval.multipliedBy(3));
    this.store =
        new FleetRolloutStore(
            fleet, status -> ledger.document(status, replicaId, leader), applied::note);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "canary-coordination");
              t.setDaemon(true);
              return t;
            });
    this.watcher = new FleetWatch(fleet, new Follower(), () -> running, this::lost);
    Gauge.builder(MetricNames.COORDINATION_LEADER, this, c -> c.leader ? 1 : 0)
        .description("1 while this replica leads the fleet's rollout")
        .register(registry);
    Gauge.builder(MetricNames.COORDINATION_STALE, staleness, s -> s.stale() ? 1 : 0)
        .description("1 while this replica cannot reach the fleet store")
        .register(registry);
  }

  /** The share sink the controller must use: {@code router} behind the fail-safe. */
  public CanaryPercentSink sink(CanaryPercentSink router) {
    FailSafeSink sink = new FailSafeSink(router);
    staleness.sink(sink);
    return sink;
  }

  /** The store the controller must keep its state in. */
  public RolloutStore store() {
    return store;
  }

  /**
   * Joins the fleet: opens a session, starts {@code controller} from the stored state (or stores
   * the first one), then campaigns and starts watching. Call it before the proxy listener opens, so
   * that the first request is routed by the fleet's state.
   *
   * @throws IOException when the store cannot be reached
   */
  public void start(RolloutController controller) throws IOException {
    this.controller = controller;
    FleetStores.firstOpen(fleet);
    controller.start(); // load() reads the stored state and save() stores the first one
    if (store.lastSaveFailed()) {
      catchUp(); // another replica stored the first state at the same moment
    }
    FleetStore.View view = fleet.view();
    leaderId = view.leader();
    if (view.state() != null) { // a change between the first read and this one
      follow(view.state().revision(), view.state().value());
    }
    synchronized (controller) {
      if (applied.revision() == 0 && store.revision() > 0) {
        applied.note(store.revision(), controller.status()); // adopted from the store by start()
      }
    }
    watcher.start();
    if (leaderId == null || fleet.lapsed(leaderId)) {
      try {
        campaign();
      } catch (IOException e) {
        // on a loaded host the join can outlast the first lease; the next renewal campaigns again
        log.info("first campaign failed ({}); trying again at the next renewal", e.getMessage());
      }
    }
    contact(); // joined: a failure from now on is measured from here
    long period = Math.max(1, config.leaseTtl().toMillis() / 3);
    scheduler.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    log.info(
        "joined the fleet at {} as {}; leader: {}",
        store.describe(),
        replicaId,
        leader ? "this replica" : leaderId);
  }

  /**
   * Publishes this replica's interval and, on the leader, judges the sum of every replica's
   * intervals that arrived since its last look.
   *
   * @return the leader's verdict, or empty on a follower or when nothing was judged
   */
  public Optional<Verdict> onInterval(JudgeInput local) {
    if (!running) {
      return Optional.empty();
    }
    RolloutStatus now = controller.status();
    if (now.state() != RolloutState.PROGRESSING && now.state() != RolloutState.PAUSED) {
      return Optional.empty();
    }
    try {
      seq++;
      Evidence mine = new Evidence(replicaId, seq, now.step(), clock.instant().toString(), local);
      fleet.publish(seq, mine.encode());
      contact();
      return leader ? judge(now.step()) : Optional.empty();
    } catch (IOException e) {
      lost(e);
      return Optional.empty();
    }
  }

  private Optional<Verdict> judge(int step) throws IOException {
    Optional<JudgeInput> merged = ledger.merge(fleet.takeEvidence(), step);
    if (merged.isEmpty()) {
      return Optional.empty();
    }
    Optional<Verdict> v = controller.onInterval(merged.get());
    if (store.lastSaveFailed()) {
      scheduler.execute(this::catchUpQuietly); // someone moved the state: follow it
    }
    return v;
  }

  /**
   * Runs an operator call ({@code pause}, {@code promote}...) through the store: refused while the
   * store is unreachable. When the leader stored a look between this replica's last view and the
   * call (the write is refused), the replica follows the stored state and tries again, so the call
   * applies to the fleet's current state; after {@value #OPERATION_ATTEMPTS} refusals it answers an
   * error.
   */
  public OperationResult operate(String name, Supplier<OperationResult> op) {
    for (int attempt = 1; ; attempt++) {
      if (!running || staleness.stale()) {
        return new OperationResult(
            false,
            name,
            "the coordination store is unreachable; the fleet's rollout cannot change now",
            controller.status());
      }
      OperationResult result = op.get();
      if (!result.ok() || !store.lastSaveFailed()) {
        return result;
      }
      catchUpQuietly(); // undoes the local change: the stored state wins
      if (attempt == OPERATION_ATTEMPTS) {
        return new OperationResult(
            false,
            name,
            "not stored: the fleet's rollout kept changing, or the store failed; try again",
            controller.status());
      }
    }
  }

  /** The {@code coordination} object of {@code /admin/rollout}. */
  public CoordinationStatus status() {
    return new CoordinationStatus(
        fleet.kind(),
        replicaId,
        leader ? replicaId : leaderId,
        leader,
        ledger.replicas(leader),
        staleness.stale(),
        staleness.holdingStable(),
        ledger.lastContributors(),
        applied.revision(),
        applied.at() == null ? null : applied.at().toString());
  }

  /** This replica's id in the fleet. */
  public String replicaId() {
    return replicaId;
  }

  /** Whether this replica leads now. */
  public boolean isLeader() {
    return leader;
  }

  private void tick() {
    try {
      boolean wasStale = staleness.stale();
      if (!fleet.renew(leader)) {
        leader = false; // the session lapsed while cut off: the leadership went with it
      }
      contact();
      if (wasStale) {
        catchUp();
      }
      if (!leader && (leaderId == null || leaderId.equals(replicaId) || fleet.lapsed(leaderId))) {
        campaign();
      }
    } catch (IOException | RuntimeException e) {
      lost(e);
    }
    staleness.applyFailSafe();
  }

  private void campaign() throws IOException {
    FleetStore.Campaign c = fleet.campaign();
    if (c.won()) {
      catchUp(); // judge from the freshest stored state
      leaderId = replicaId;
      leader = true;
      log.info("this replica ({}) leads the fleet's rollout", replicaId);
    } else {
      leaderId = c.leader();
    }
  }

  /** Reads the stored state and adopts it when newer than the one followed. */
  private void catchUp() throws IOException {
    FleetStore.Versioned v = fleet.readState();
    if (v != null) {
      follow(v.revision(), v.value());
    }
  }

  private void catchUpQuietly() {
    try {
      catchUp();
    } catch (IOException | RuntimeException e) {
      lost(e);
    }
  }

  private void follow(long modRevision, byte[] value) throws IOException {
    FleetDocument doc = FleetRolloutStore.decode(value);
    // the controller's lock guards the followed revision (see FleetRolloutStore)
    synchronized (controller) {
      if (!store.follow(modRevision)) {
        return;
      }
      controller.adopt(doc.status());
      applied.note(modRevision, doc.status());
    }
    ledger.followed(doc);
  }

  /** What the watch sees: a leader change, a stored state to follow. */
  private final class Follower implements FleetStore.Listener {
    @Override
    public void leader(String id) {
      leaderId = id;
      if (id == null) {
        leader = false;
        scheduler.execute(FleetCoordinator.this::campaignQuietly); // take over at once
      }
    }

    @Override
    public void state(long revision, byte[] value) {
      try {
        follow(revision, value);
      } catch (IOException | RuntimeException e) {
        log.warn("could not apply a stored rollout state: {}", e.getMessage());
      }
    }
  }

  private void campaignQuietly() {
    try {
      if (!leader) {
        campaign();
      }
    } catch (IOException | RuntimeException e) {
      lost(e);
    }
  }

  private void contact() {
    staleness.contact();
  }

  private void lost(Exception e) {
    staleness.lost(e, () -> controller == null ? "?" : controller.status().canaryPercent());
    leader = false;
  }

  /** Leaves the fleet: gives up the lease (and with it the leadership) and stops every thread. */
  @Override
  public void close() {
    halt();
    try {
      fleet.leave();
    } catch (IOException e) {
      log.debug("session not ended ({}); it expires by itself", e.getMessage());
    }
    fleet.close();
  }

  /**
   * Stops every thread without telling the store, as a crash does: the lease, and the leadership,
   * expire after {@code leaseTtl}. For tests of the fleet's failure behaviour.
   */
  public void halt() {
    running = false;
    leader = false;
    scheduler.shutdownNow();
    watcher.stop();
  }
}
