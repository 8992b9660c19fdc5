package io.canaryproxy.coordination;

import io.canaryproxy.analysis.CanaryPercentSink;
import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutController.OperationResult;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.analysis.RolloutStore;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.config.CoordinationConfig.FailSafe;
import io.canaryproxy.coordination.FleetDocument.Contribution;
import io.canaryproxy.coordination.FleetDocument.ReplicaReport;
import io.canaryproxy.metrics.MetricNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One rollout per fleet on etcd (ARCHITECTURE.md decision 8). Every replica holds a lease ({@code
 * leaseTtl}, renewed every third of it) and follows the state stored under {@code PREFIX/ctl/state}
 * through a watch, applying each change as it arrives. The replica that holds {@code
 * PREFIX/ctl/leader} (put-if-absent, attached to its lease) is the leader: each interval it sums
 * the evidence every replica published under {@code PREFIX/evidence/} (attached to their leases),
 * judges the sum and writes the new state by compare-and-set. When the leader dies its lease
 * expires, the key goes with it, and the first follower to see the delete takes over from the
 * stored state. A replica that cannot reach the store is {@code stale}: it routes by the last state
 * it saw, and with {@code failSafe: stable} sends everyone to stable once {@code staleAfter} has
 * passed; when the store answers again it re-reads the state and carries on.
 *
 * <p>Threads: one scheduler thread (lease, election, fail-safe), one watch thread, and the caller's
 * thread for {@link #onInterval} (the metrics thread) and {@link #operate} (admin).
 */
public final class FleetCoordinator implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FleetCoordinator.class);
  private static final int CONTRIBUTIONS_KEPT = RolloutController.VERDICTS_KEPT;

  /** Tries of an operator call whose write the store refuses as based on an old state. */
  static final int OPERATION_ATTEMPTS = 5;

  /** Tries of the first call to the store when joining. */
  static final int JOIN_ATTEMPTS = 3;

  private final CoordinationConfig config;
  private final String replicaId;
  private final Clock clock;
  private final Duration interval;
  private final EtcdClient etcd;
  private final EtcdRolloutStore store;
  private final String leaderKey;
  private final String ctlPrefix;
  private final String evidencePrefix;
  private final ScheduledExecutorService scheduler;
  private final Thread watcher;
  private FailSafeSink sink;
  private RolloutController controller;

  private volatile boolean running = true;
  private volatile long lease;
  private volatile boolean leader;
  private volatile String leaderId;
  private volatile Instant staleSince;
  private volatile InputStream watchStream;
  private volatile long watchFrom;
  private long seq;
  private final Map<String, Instant> reports = new LinkedHashMap<>();
  private final ArrayDeque<Contribution> contributions = new ArrayDeque<>();
  private volatile List<ReplicaReport> fleetReplicas = List.of();
  private volatile int pendingContributors;
  private volatile int lastContributors;
  private volatile long appliedRevision;
  private volatile Instant appliedAt;
  private String appliedStage = "";

  /**
   * A coordinator for the etcd store of {@code config}; nothing is contacted before {@link #start}.
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
    this.config = config;
    this.replicaId = replicaId;
    this.interval = interval;
    this.clock = clock;
    Timer ok = storeTimer(registry, "success");
    Timer failed = storeTimer(registry, "failure");
    Duration timeout = config.leaseTtl().dividedBy(3);
    this.etcd =
        new EtcdClient(
            config.endpoints(),
            timeout,
            (nanos, success) -> (success ? ok : failed).record(nanos, TimeUnit.NANOSECONDS),
            credentials(config));
    this.leaderKey = config.prefix() + "/ctl/leader";
    this.ctlPrefix = config.prefix() + "/ctl/";
    this.evidencePrefix = config.prefix() + "/evidence/";
    this.store =
        new EtcdRolloutStore(etcd, config.prefix() + "/ctl/state", this::document, this::applied);
    this.scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "canary-coordination");
              t.setDaemon(true);
              return t;
            });
    this.watcher = new Thread(this::watchLoop, "canary-coordination-watch");
    watcher.setDaemon(true);
    Gauge.builder(MetricNames.COORDINATION_LEADER, this, c -> c.leader ? 1 : 0)
        .description("1 while this replica leads the fleet's rollout")
        .register(registry);
    Gauge.builder(MetricNames.COORDINATION_STALE, this, c -> c.staleSince != null ? 1 : 0)
        .description("1 while this replica cannot reach the fleet store")
        .register(registry);
  }

  /**
   * The etcd user and the password read from {@code passwordFile} now, or {@code null} without
   * {@code username}.
   *
   * @throws IllegalArgumentException naming {@code rollout.coordination.passwordFile} when it
   *     cannot be read (it was readable when the config was loaded)
   */
  private static EtcdClient.Credentials credentials(CoordinationConfig config) {
    if (config.username() == null) {
      return null;
    }
    try {
      return new EtcdClient.Credentials(config.username(), ConfigFiles.readEtcdPassword(config));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(String.join("\n", e.errors()), e);
    }
  }

  private static Timer storeTimer(MeterRegistry registry, String outcome) {
    return Timer.builder(MetricNames.COORDINATION_STORE)
        .description("Fleet store calls by outcome")
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(registry);
  }

  /** The share sink the controller must use: {@code router} behind the fail-safe. */
  public CanaryPercentSink sink(CanaryPercentSink router) {
    sink = new FailSafeSink(router);
    return sink;
  }

  /** The store the controller must keep its state in. */
  public RolloutStore store() {
    return store;
  }

  /**
   * Joins the fleet: takes a lease, starts {@code controller} from the stored state (or stores the
   * first one), then campaigns and starts watching. Call it before the proxy listener opens, so
   * that the first request is routed by the fleet's state.
   *
   * @throws IOException when the store cannot be reached
   */
  public void start(RolloutController controller) throws IOException {
    this.controller = controller;
    lease = firstGrant();
    controller.start(); // load() reads the stored state and save() stores the first one
    if (store.lastSaveFailed()) {
      catchUp(); // another replica stored the first state at the same moment
    }
    EtcdClient.Range ctl = etcd.prefix(ctlPrefix);
    watchFrom = ctl.revision() + 1;
    leaderId = leaderOf(ctl);
    for (EtcdClient.Kv kv : ctl.kvs()) {
      if (kv.key().equals(ctlPrefix + "state")) {
        follow(kv.modRevision(), kv.value()); // a change between the first read and this one
      }
    }
    synchronized (controller) {
      if (appliedRevision == 0 && store.revision() > 0) {
        applied(store.revision(), controller.status()); // adopted from the store by start()
      }
    }
    watcher.start();
    if (leaderId == null) {
      campaign();
    }
    long period = Math.max(1, config.leaseTtl().toMillis() / 3);
    scheduler.scheduleWithFixedDelay(this::tick, period, period, TimeUnit.MILLISECONDS);
    log.info(
        "joined the fleet at {} as {}; leader: {}",
        store.describe(),
        replicaId,
        leader ? "this replica" : leaderId);
  }

  /**
   * Takes this replica's first lease, trying {@value #JOIN_ATTEMPTS} times: the first call of a
   * fresh JVM (class loading, the HTTP client's first connection) can outlast one call's timeout
   * ({@code leaseTtl / 3}) on a loaded host, so the join gives the store about {@code leaseTtl}.
   */
  private long firstGrant() throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        return etcd.grant(config.leaseTtl());
      } catch (IOException e) {
        if (attempt == JOIN_ATTEMPTS) {
          throw e;
        }
        log.info("fleet store did not answer ({}); trying again", e.getMessage());
      }
    }
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
      etcd.put(
          evidencePrefix + replicaId + "/" + String.format("%019d", seq), mine.encode(), lease);
      contact();
      return leader ? judge(now.step()) : Optional.empty();
    } catch (IOException e) {
      lost(e);
      return Optional.empty();
    }
  }

  private Optional<Verdict> judge(int step) throws IOException {
    EtcdClient.Range arrived = etcd.prefix(evidencePrefix);
    List<JudgeInput> parts = new ArrayList<>();
    List<String> consumed = new ArrayList<>();
    Set<String> contributors = new LinkedHashSet<>();
    for (EtcdClient.Kv kv : arrived.kvs()) {
      consumed.add(kv.key());
      try {
        Evidence e = Evidence.decode(kv.value());
        synchronized (reports) {
          reports.put(e.replica(), Instant.parse(e.at()));
        }
        if (e.step() == step) { // an interval routed by another step says nothing of this one
          parts.add(e.input());
          contributors.add(e.replica());
        }
      } catch (IOException | RuntimeException e) {
        log.warn("dropping malformed evidence at {}: {}", kv.key(), e.getMessage());
      }
    }
    etcd.delete(consumed);
    if (parts.isEmpty()) {
      return Optional.empty();
    }
    pendingContributors = contributors.size();
    Optional<Verdict> v = controller.onInterval(Evidence.merge(parts));
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
      if (!running || staleSince != null) {
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
        "etcd",
        replicaId,
        leader ? replicaId : leaderId,
        leader,
        leader ? recentReports() : fleetReplicas,
        staleSince != null,
        sink != null && sink.holdingStable(),
        lastContributors,
        appliedRevision,
        appliedAt == null ? null : appliedAt.toString());
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
      boolean wasStale = staleSince != null;
      if (lease == 0 || !etcd.keepAlive(lease)) {
        // the lease expired while cut off: the leadership and the evidence went with it
        leader = false;
        lease = etcd.grant(config.leaseTtl());
      }
      contact();
      if (wasStale) {
        catchUp();
      }
      if (!leader && (leaderId == null || leaderId.equals(replicaId))) {
        campaign();
      }
    } catch (IOException | RuntimeException e) {
      lost(e);
    }
    Instant since = staleSince;
    if (since != null
        && config.failSafe() == FailSafe.STABLE
        && sink != null
        && !sink.holdingStable()
        && !clock.instant().isBefore(since.plus(config.staleAfter()))) {
      log.warn(
          "fleet store unreachable for {}: failSafe: stable sends every user to stable",
          config.staleAfter());
      sink.holdStable();
    }
  }

  private void campaign() throws IOException {
    if (etcd.putIfAbsent(leaderKey, replicaId.getBytes(StandardCharsets.UTF_8), lease)) {
      catchUp(); // judge from the freshest stored state
      leaderId = replicaId;
      leader = true;
      log.info("this replica ({}) now leads the fleet's rollout", replicaId);
      return;
    }
    EtcdClient.Range held = etcd.get(leaderKey);
    leaderId = leaderOf(held);
    if (replicaId.equals(leaderId) && !held.kvs().isEmpty() && held.kvs().get(0).lease() == lease) {
      // still ours: the store came back before our lease expired, so nobody else could take over
      catchUp();
      leader = true;
      log.info("this replica ({}) leads the fleet's rollout again", replicaId);
    }
  }

  /** Reads the stored state and adopts it when newer than the one followed. */
  private void catchUp() throws IOException {
    EtcdClient.Range r = etcd.get(ctlPrefix + "state");
    if (r.kvs().isEmpty()) {
      return;
    }
    EtcdClient.Kv kv = r.kvs().get(0);
    follow(kv.modRevision(), kv.value());
  }

  private void catchUpQuietly() {
    try {
      catchUp();
    } catch (IOException | RuntimeException e) {
      lost(e);
    }
  }

  private void follow(long modRevision, byte[] value) throws IOException {
    FleetDocument doc = EtcdRolloutStore.decode(value);
    // the controller's lock guards the followed revision (see EtcdRolloutStore)
    synchronized (controller) {
      if (!store.follow(modRevision)) {
        return;
      }
      controller.adopt(doc.status());
      applied(modRevision, doc.status());
    }
    fleetReplicas = doc.replicas();
    if (!doc.contributions().isEmpty()) {
      lastContributors = doc.contributions().get(doc.contributions().size() - 1).replicas();
    }
  }

  private void watchLoop() {
    while (running) {
      try {
        etcd.watch(
            ctlPrefix,
            EtcdClient.prefixEnd(ctlPrefix),
            watchFrom,
            in -> watchStream = in,
            events -> {
              for (EtcdClient.Event e : events) {
                onEvent(e);
                watchFrom = Math.max(watchFrom, e.kv().modRevision() + 1);
              }
            });
      } catch (IOException | RuntimeException e) {
        if (running) {
          lost(e);
        }
      } catch (InterruptedException e) {
        return;
      }
      if (running) {
        try {
          Thread.sleep(500); // the watch's own thread, not an event loop: back off, then resume
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }

  private void onEvent(EtcdClient.Event e) {
    try {
      if (e.kv().key().equals(leaderKey)) {
        if (e.deleted()) {
          leaderId = null;
          leader = false;
          scheduler.execute(this::campaignQuietly); // the leader left: take over at once
        } else {
          leaderId = new String(e.kv().value(), StandardCharsets.UTF_8);
        }
      } else if (!e.deleted() && e.kv().key().equals(ctlPrefix + "state")) {
        follow(e.kv().modRevision(), e.kv().value());
      }
    } catch (IOException | RuntimeException ex) {
      log.warn("could not apply a fleet store change to {}: {}", e.kv().key(), ex.getMessage());
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
    if (staleSince != null) {
      log.info(
          "fleet store reachable again after {}", Duration.between(staleSince, clock.instant()));
      staleSince = null;
      if (sink != null) {
        sink.release();
      }
    }
  }

  private void lost(Exception e) {
    if (staleSince == null) {
      staleSince = clock.instant();
      log.warn(
          "fleet store unreachable ({}); routing by the last state seen (canary {}%)",
          e.getMessage(), controller == null ? "?" : controller.status().canaryPercent());
    }
    leader = false;
  }

  /**
   * Notes the state this replica routes by from now on (called under the controller's lock), and
   * logs it when its state or step moved: one line per change on every replica, with the instant,
   * so that the replicas' logs show when each one applied it.
   */
  private void applied(long revision, RolloutStatus status) {
    Instant now = clock.instant();
    appliedRevision = revision;
    appliedAt = now;
    String stage = status.state().jsonName() + " " + status.step();
    if (!stage.equals(appliedStage)) {
      appliedStage = stage;
      log.info(
          "fleet rollout applied: {} at step {}, canary {}% (revision {}, at {})",
          status.state().jsonName(), status.step(), status.canaryPercent(), revision, now);
    }
  }

  private FleetDocument document(RolloutStatus status) {
    int n = pendingContributors;
    if (n > 0 && !status.verdicts().isEmpty()) {
      pendingContributors = 0;
      lastContributors = n;
      synchronized (contributions) {
        contributions.addLast(
            new Contribution(status.verdicts().get(status.verdicts().size() - 1).at(), n));
        while (contributions.size() > CONTRIBUTIONS_KEPT) {
          contributions.removeFirst();
        }
      }
    }
    List<Contribution> kept;
    synchronized (contributions) {
      kept = List.copyOf(contributions);
    }
    return new FleetDocument(status, replicaId, leader ? recentReports() : fleetReplicas, kept);
  }

  private List<ReplicaReport> recentReports() {
    Instant cutoff = clock.instant().minus(interval.multipliedBy(3));
    List<ReplicaReport> out = new ArrayList<>();
    synchronized (reports) {
      reports.values().removeIf(at -> at.isBefore(cutoff));
      reports.forEach((id, at) -> out.add(new ReplicaReport(id, at.toString())));
    }
    return out;
  }

  private static String leaderOf(EtcdClient.Range range) {
    for (EtcdClient.Kv kv : range.kvs()) {
      if (kv.key().endsWith("/ctl/leader")) {
        return new String(kv.value(), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** Leaves the fleet: gives up the lease (and with it the leadership) and stops every thread. */
  @Override
  public void close() {
    long held = lease;
    halt();
    if (held != 0) {
      try {
        etcd.revoke(held);
      } catch (IOException e) {
        log.debug("lease not revoked ({}); it expires by itself", e.getMessage());
      }
    }
    etcd.close();
  }

  /**
   * Stops every thread without telling the store, as a crash does: the lease, and the leadership,
   * expire after {@code leaseTtl}. For tests of the fleet's failure behaviour.
   */
  public void halt() {
    running = false;
    leader = false;
    scheduler.shutdownNow();
    watcher.interrupt();
    InputStream in = watchStream;
    if (in != null) {
      try {
        in.close();
      } catch (IOException e) {
        log.debug("closing the watch stream", e);
      }
    }
  }
}
