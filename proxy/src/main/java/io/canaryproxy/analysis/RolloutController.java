package io.canaryproxy.analysis;

import io.canaryproxy.analysis.RolloutEvent.Type;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.LifecycleConfig;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rollout state machine. It owns the canary share (through a {@link CanaryPercentSink}), judges
 * each analysis interval handed to {@link #onInterval}, and moves the canary up {@code
 * rollout.steps}, or rolls it back, by these rules:
 *
 * <ul>
 *   <li>Evidence: each interval is added to the step's evidence ({@link StepEvidence}), and the
 *       judge looks at all of it, and at its recent windows: the interval only sets how often it
 *       looks. The evidence starts afresh with each step, on resume, and when the warm-up ends; a
 *       FAIL does not clear it.
 *   <li>Promotion: a step advances at a PASS look once it has been observed for {@code
 *       stepInterval}; a FAIL restarts that clock. Entering a step of 100% means promoted; passing
 *       the last step too.
 *   <li>Failure: after {@code failureThreshold} consecutive FAIL looks, {@code onFailure: rollback}
 *       sets the share to 0 and the state to rolledBack; {@code pause} holds the share in paused.
 *       An INCONCLUSIVE look neither counts as a failure nor resets the count; a PASS resets it.
 *   <li>Indecision: when a step has gone {@code maxInconclusive} without a PASS or FAIL look (from
 *       its start, the end of its warm-up or the last decisive look), {@code onInconclusive} pauses
 *       (or rolls back) with a reason that starts with "inconclusive:". {@link
 *       #inconclusiveLooks()} counts INCONCLUSIVE looks for the metrics.
 *   <li>Shadow gate ({@code shadowGate: true}): step 0 runs at 0% and judges the mirror (shadow
 *       latency against stable, and the mismatch rate) instead of the canary.
 *   <li>Warm-up ({@code analysis.warmup}): for that long after the canary starts receiving traffic
 *       (start, restart, resume, leaving a 0% step) verdicts are recorded but {@link
 *       Verdict#ignored() ignored} unless errors or mismatches failed; {@code stepInterval} counts
 *       from its end. Other step changes only add users on an already warm canary.
 *   <li>Paused: intervals are still judged and recorded, but cause no transition.
 *   <li>Lifecycle ({@link LifecycleConfig}): {@link #restart} starts a new attempt from step 0 and
 *       keeps the finished one in the history; a new canary revision ({@link #onRevision}) does the
 *       same by itself; {@code progressDeadline} pauses or rolls back a step that has not advanced
 *       in time; gates hold the rollout until they answer 2xx (manual operations skip them);
 *       business-metric results join each canary verdict ({@link MetricChecks}).
 * </ul>
 *
 * <p>Every change is written to the state file; after a restart, {@link #start()} resumes from it
 * (rolledBack stays rolledBack at 0%, paused stays paused). Thread-safe: all methods synchronize on
 * the controller and never block on I/O other than the small state file write.
 */
public final class RolloutController {
  /** Verdicts kept in the status and the state file. */
  public static final int VERDICTS_KEPT = 20;

  private static final Logger log = LoggerFactory.getLogger(RolloutController.class);

  private final RolloutConfig config;
  private final CanaryJudge judge;
  private final CanaryPercentSink sink;
  private final RolloutEventListener listener;
  private final RolloutStore store;
  private final Clock clock;
  private final List<Double> steps;
  private final StepWindow window;
  private final StepEvidence evidence = new StepEvidence();
  private long inconclusiveLooks;
  private String reason = "";

  private RolloutState state = RolloutState.IDLE;
  private int step;
  private double percent;
  private int consecutiveFailures;
  private Instant updatedAt;
  private final ArrayDeque<Verdict> verdicts = new ArrayDeque<>();
  private final Gatekeeper gates;
  private final MetricSource metrics;
  private final RolloutHistory history;
  private final ProgressDeadline deadline;
  private int attempt = 1;
  private String revision;
  private Instant startedAt;
  private GateWait gateWait;

  private static RolloutStore fileStore(RolloutConfig config) {
    return config == null || config.stateFile() == null
        ? null
        : new RolloutStateStore(config.stateFile());
  }

  /** Longest revision string kept; a longer one is cut. */
  private static final int MAX_REVISION = 128;

  /**
   * A controller for {@code config}, or one that stays idle when {@code config} is {@code null} (no
   * rollout section). Nothing happens until {@link #start()}.
   */
  public RolloutController(
      RolloutConfig config, CanaryPercentSink sink, RolloutEventListener listener, Clock clock) {
    this(config, sink, listener, clock, Gatekeeper.NONE, MetricSource.NONE);
  }

  /**
   * A controller as above that holds the rollout at {@code gates} and joins {@code metrics} to each
   * canary verdict, keeping its state in the state file ({@code rollout.stateFile}), if any.
   */
  public RolloutController(
      RolloutConfig config,
      CanaryPercentSink sink,
      RolloutEventListener listener,
      Clock clock,
      Gatekeeper gates,
      MetricSource metrics) {
    this(config, sink, listener, clock, fileStore(config), gates, metrics);
  }

  /**
   * A controller that keeps its state in {@code store} (the state file, or a fleet store), or
   * nowhere when {@code store} is {@code null}, without gates or business metrics.
   */
  public RolloutController(
      RolloutConfig config,
      CanaryPercentSink sink,
      RolloutEventListener listener,
      Clock clock,
      RolloutStore store) {
    this(config, sink, listener, clock, store, Gatekeeper.NONE, MetricSource.NONE);
  }

  /**
   * A controller that keeps its state in {@code store} (the state file, or a fleet store; nowhere
   * when {@code null}), holds the rollout at {@code gates} and joins {@code metrics} to each canary
   * verdict.
   */
  public RolloutController(
      RolloutConfig config,
      CanaryPercentSink sink,
      RolloutEventListener listener,
      Clock clock,
      RolloutStore store,
      Gatekeeper gates,
      MetricSource metrics) {
    this.gates = Objects.requireNonNull(gates, "gates");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
    this.config = config;
    this.sink = Objects.requireNonNull(sink, "sink");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.updatedAt = clock.instant();
    this.startedAt = updatedAt;
    LifecycleConfig lifecycle = config == null ? LifecycleConfig.DEFAULTS : config.lifecycle();
    this.history = new RolloutHistory(lifecycle.historySize());
    this.deadline = new ProgressDeadline(lifecycle.progressDeadline(), updatedAt);
    if (config == null) {
      this.judge = null;
      this.store = null;
      this.steps = List.of();
      this.window = null;
      return;
    }
    this.judge = new CanaryJudge(config.analysis(), clock);
    this.store = store;
    List<Double> s = new ArrayList<>();
    if (config.shadowGate()) {
      s.add(0.0);
    }
    s.addAll(config.steps());
    if (s.isEmpty()) {
      throw new IllegalArgumentException("rollout.steps: [] (expected: at least one step)");
    }
    this.steps = List.copyOf(s);
    this.window = new StepWindow(config.analysis().warmup(), updatedAt);
  }

  /**
   * Starts the rollout: resumes the state file's state when it holds one, else starts progressing
   * at step 0; then applies the canary share to the sink. Does nothing without a rollout section.
   *
   * @throws java.io.UncheckedIOException when the state file exists but cannot be read
   */
  public synchronized RolloutStatus start() {
    if (config == null || state != RolloutState.IDLE) {
      return status();
    }
    Optional<RolloutStatus> saved = store == null ? Optional.empty() : store.load();
    Instant now = clock.instant();
    // a restarted proxy has cold connection pools; a few canary requests would pay for all of them
    window.restart(now, true);
    evidence.reset(window.warmingUp(now));
    deadline.restart(now);
    if (saved.isPresent() && saved.get().state() != RolloutState.IDLE) {
      startedAt = now; // unless the stored status says when it started
      takeStored(saved.get());
    } else {
      state = RolloutState.PROGRESSING;
      step = 0;
      startedAt = now;
      percent = gates.has(GateStage.PRE_ROLLOUT) ? 0 : steps.get(0);
    }
    GateStage pending =
        saved.map(RolloutStatus::gate).map(RolloutStatus.GateStatus::stage).orElse(null);
    if (state == RolloutState.PROGRESSING && pending == GateStage.PRE_ROLLOUT) {
      percent = 0; // the canary never got traffic: it still waits at its pre-rollout gates
    }
    sink.setCanaryPercent(percent);
    String how = saved.isPresent() ? "resumed from " + store.describe() : "started";
    emit(Type.STARTED, RolloutState.IDLE, false, how + " at step " + step, null);
    if (state == RolloutState.PROGRESSING) {
      if (!saved.isPresent() || pending == GateStage.PRE_ROLLOUT) {
        enterFirstStep("the first step is 100%");
      } else if (pending != null && gates.has(pending)) {
        waitAtGate(pending, () -> advanceNow(false, "gates passed after a restart", null));
      } else if (percent >= 100) {
        transition(RolloutState.PROMOTED, Type.PROMOTED, false, "the first step is 100%", null);
      }
    }
    save();
    return status();
  }

  /**
   * Sends the canary its first step's share, after the pre-rollout gates when there are any (the
   * share stays 0 until they pass); {@code step} is 0 and the state progressing.
   */
  private void enterFirstStep(String promotedReason) {
    Runnable enter =
        () -> {
          if (percent != steps.get(0)) {
            setPercent(steps.get(0));
          }
          resetWindow(true);
          if (percent >= 100) {
            transition(RolloutState.PROMOTED, Type.PROMOTED, false, promotedReason, null);
          }
        };
    if (gates.has(GateStage.PRE_ROLLOUT)) {
      if (percent != 0) {
        setPercent(0);
      }
      waitAtGate(GateStage.PRE_ROLLOUT, enter);
    } else {
      enter.run();
    }
  }

  /**
   * Judges one interval and applies the rules above. Call it once per {@code
   * rollout.analysis.interval}.
   *
   * @return the verdict, or empty when the rollout is not progressing or paused (nothing is judged
   *     then)
   */
  public synchronized Optional<Verdict> onInterval(JudgeInput in) {
    if (state != RolloutState.PROGRESSING && state != RolloutState.PAUSED) {
      return Optional.empty();
    }
    boolean gate = inShadowGate();
    boolean warm = window.warmingUp(clock.instant());
    JudgeInput sum = evidence.add(in, warm);
    Verdict v = gate ? judge.judgeShadow(sum, warm) : judge.judge(sum, evidence.recent(), warm);
    v = MetricChecks.combine(v, metrics.results());
    if (v.outcome() == Outcome.INCONCLUSIVE) {
      inconclusiveLooks++;
    }
    verdicts.addLast(v);
    while (verdicts.size() > VERDICTS_KEPT) {
      verdicts.removeFirst();
    }
    RolloutLog.verdict(v, step, percent);
    if (v.outcome() == Outcome.FAIL && !v.ignored()) {
      // none for an ignored FAIL: alerts on verdictFailed must not fire for a cold canary
      emit(Type.VERDICT_FAILED, state, false, v.reason(), v);
    }
    boolean beforeTraffic = gateWait != null && gateWait.stage == GateStage.PRE_ROLLOUT;
    if (state == RolloutState.PROGRESSING && !beforeTraffic) {
      apply(v);
    }
    checkDeadline();
    save();
    return Optional.of(v);
  }

  private void apply(Verdict v) {
    if (v.ignored()) {
      return;
    }
    Instant now = clock.instant();
    window.count(v.outcome(), now);
    if (v.outcome() == Outcome.FAIL) {
      consecutiveFailures++;
    } else if (v.outcome() == Outcome.PASS) {
      consecutiveFailures = 0;
    }
    AnalysisConfig analysis = config.analysis();
    Duration undecided = window.undecidedFor(now);
    if (consecutiveFailures >= analysis.failureThreshold()) {
      String why = consecutiveFailures + " consecutive failed looks; last: " + v.reason();
      onOutcome(config.onFailure(), why, v);
    } else if (v.outcome() == Outcome.PASS && window.hasRun(config.stepInterval(), now)) {
      advance(false, "observed for at least " + config.stepInterval() + "; " + v.reason(), v);
    } else if (!analysis.maxInconclusive().isZero()
        && undecided.compareTo(analysis.maxInconclusive()) >= 0) {
      String why =
          "inconclusive: no PASS or FAIL for "
              + undecided
              + " (maxInconclusive: "
              + analysis.maxInconclusive()
              + "); last: "
              + v.reason();
      onOutcome(analysis.onInconclusive(), why, v);
    }
  }

  private void onOutcome(OnFailure action, String why, Verdict v) {
    if (action == OnFailure.PAUSE) {
      transition(RolloutState.PAUSED, Type.PAUSED, false, why, v);
    } else {
      rollBack(false, why, v);
    }
  }

  /**
   * INCONCLUSIVE looks judged since this controller was built, in every state that judges; a
   * monotonic count for a metrics counter.
   */
  public synchronized long inconclusiveLooks() {
    return inconclusiveLooks;
  }

  /**
   * Takes {@code s}, the state another replica stored, as this controller's state without judging,
   * saving or emitting anything, and applies its share to the sink: how a replica follows the
   * fleet. A changed step or state starts a fresh observation window (and a warm-up when the canary
   * starts receiving traffic again). Ignored before {@link #start()} and for an idle {@code s}.
   */
  public synchronized void adopt(RolloutStatus s) {
    if (config == null || state == RolloutState.IDLE || s.state() == RolloutState.IDLE) {
      return;
    }
    boolean moved = s.state() != state || storedStep(s) != step;
    boolean fromZero = percent <= 0;
    // The lifecycle fields follow the leader too, so a restart or a new revision on the leader
    // shows on every replica and a replica that becomes leader continues the same attempt.
    takeStored(s);
    if (moved) {
      Instant now = clock.instant();
      window.restart(now, fromZero && percent > 0);
      evidence.reset(window.warmingUp(now));
    }
    sink.setCanaryPercent(percent);
  }

  /** The step of a stored status, within this config's steps. */
  private int storedStep(RolloutStatus s) {
    return Math.max(0, Math.min(s.step(), steps.size() - 1));
  }

  /**
   * Takes a stored status (the state file's at start, the leader's when following) as this
   * controller's: state, step and its share, failure streak, reason, attempt, revision, start time
   * (when stored), history and the last verdicts. Saves, emits and applies nothing.
   */
  private void takeStored(RolloutStatus s) {
    state = s.state();
    step = storedStep(s);
    percent =
        switch (state) {
          case ROLLED_BACK -> 0.0;
          case PROMOTED -> s.canaryPercent();
          default -> steps.get(step);
        };
    consecutiveFailures = state == RolloutState.PROGRESSING ? s.consecutiveFailures() : 0;
    reason = s.reason();
    attempt = Math.max(1, s.attempt());
    revision = s.revision();
    if (s.startedAt() != null) {
      startedAt = Instant.parse(s.startedAt());
    }
    history.load(s.history());
    verdicts.clear();
    s.verdicts().stream()
        .skip(Math.max(0, s.verdicts().size() - VERDICTS_KEPT))
        .forEach(verdicts::add);
  }

  /** Holds the canary at its step. Valid when progressing. */
  public synchronized OperationResult pause() {
    return operate(
        "pause",
        RolloutState.PROGRESSING,
        () -> transition(RolloutState.PAUSED, Type.PAUSED, true, "paused by an operator", null));
  }

  /**
   * Resumes judging and stepping from the current step, with a fresh observation window and a fresh
   * warm-up (an operator often paused to fix or redeploy the canary). Valid when paused.
   */
  public synchronized OperationResult resume() {
    return operate(
        "resume",
        RolloutState.PAUSED,
        () -> {
          // paused before the canary got traffic (at its pre-rollout gates): enter step 0 now
          boolean beforeTraffic = step == 0 && percent <= 0 && steps.get(0) > 0;
          resetWindow(true);
          transition(RolloutState.PROGRESSING, Type.RESUMED, true, "resumed by an operator", null);
          if (beforeTraffic) {
            enterFirstStep("the first step is 100%");
          }
        });
  }

  /**
   * Skips to the next step now, or to promoted from the last one. Valid when progressing or paused;
   * a paused rollout is progressing again afterwards.
   */
  public synchronized OperationResult promote() {
    RolloutState from = state == RolloutState.PAUSED ? state : RolloutState.PROGRESSING;
    return operate("promote", from, () -> advance(true, "promoted by an operator", null));
  }

  /** Sends no more users to the canary. Valid when progressing, paused or promoted. */
  public synchronized OperationResult rollback() {
    RolloutState from =
        state == RolloutState.PAUSED || state == RolloutState.PROMOTED
            ? state
            : RolloutState.PROGRESSING;
    return operate("rollback", from, () -> rollBack(true, "rolled back by an operator", null));
  }

  /**
   * Starts a new attempt from step 0, as a fresh rollout (pre-rollout gates, warm-up, empty
   * verdicts), and keeps the current one in the history (as superseded unless it was promoted or
   * rolled back). Valid in every state but idle.
   */
  public synchronized OperationResult restart() {
    if (config != null && state != RolloutState.IDLE) {
      restartAttempt(true, "restarted by an operator", revision);
      save();
      return new OperationResult(true, "restart", null, status());
    }
    return operate("restart", RolloutState.PROGRESSING, () -> {});
  }

  /**
   * The canary's revision as seen now ({@code rollout.revision}). The first one seen is the current
   * rollout's; a different one that is neither the current rollout's nor one in the history starts
   * a new rollout, as a new ReplicaSet does. Blank values are ignored; long ones are cut to 128
   * characters.
   *
   * @return true when it started a new rollout
   */
  public synchronized boolean onRevision(String seen) {
    if (config == null || state == RolloutState.IDLE || seen == null || seen.isBlank()) {
      return false;
    }
    String r = seen.strip();
    r = r.length() > MAX_REVISION ? r.substring(0, MAX_REVISION) : r;
    if (revision == null) {
      revision = r;
      save();
      return false;
    }
    if (revision.equals(r) || history.seen(r)) {
      return false;
    }
    restartAttempt(false, "new canary revision " + r + " (was " + revision + ")", r);
    save();
    return true;
  }

  /** The history of finished rollouts and the current one, for {@code /admin/rollout/history}. */
  public synchronized Map<String, Object> history() {
    Map<String, Object> current = new LinkedHashMap<>();
    current.put("attempt", attempt);
    current.put("revision", revision);
    current.put("startedAt", startedAt.toString());
    current.put("state", state.jsonName());
    current.put("reason", reason);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("current", current);
    out.put("rollouts", history.list());
    return out;
  }

  private void restartAttempt(boolean manual, String why, String newRevision) {
    if (!history.has(attempt)) {
      boolean ended = state == RolloutState.PROMOTED || state == RolloutState.ROLLED_BACK;
      history.finish(finished(ended ? state.jsonName() : "superseded"));
    }
    cancelGate();
    resetWindow(true);
    RolloutState from = state;
    attempt++;
    revision = newRevision;
    startedAt = clock.instant();
    verdicts.clear();
    metrics.reset();
    consecutiveFailures = 0;
    step = 0;
    state = RolloutState.PROGRESSING;
    reason = why;
    enterFirstStep("the first step is 100%");
    // after step 0's share is applied (or held at 0 by the pre-rollout gates), so the event says it
    emit(Type.RESTARTED, from, manual, why, null);
  }

  private RolloutHistory.Rollout finished(String outcome) {
    return new RolloutHistory.Rollout(
        attempt,
        revision,
        startedAt.toString(),
        clock.instant().toString(),
        outcome,
        reason,
        RolloutHistory.trail(verdicts));
  }

  /** Pauses or rolls back when the step has not advanced within {@code progressDeadline}. */
  private void checkDeadline() {
    Instant now = clock.instant();
    if (state != RolloutState.PROGRESSING || !deadline.exceeded(now)) {
      return;
    }
    String why = deadline.describe(step, now);
    emit(Type.PROGRESS_DEADLINE, state, false, why, null);
    onOutcome(config.lifecycle().onProgressDeadline(), why, null);
  }

  /**
   * Holds the rollout at {@code stage}'s gates; {@code then} runs under the lock once they pass,
   * unless the wait was cancelled or the rollout left progressing meanwhile.
   */
  private void waitAtGate(GateStage stage, Runnable then) {
    cancelGate();
    GateWait w = new GateWait(stage, clock.instant().toString());
    gateWait = w;
    w.wait =
        gates.await(
            stage,
            new Gatekeeper.Listener() {
              @Override
              public void passed(String detail) {
                synchronized (RolloutController.this) {
                  if (gateWait != w) {
                    return;
                  }
                  gateWait = null;
                  if (state == RolloutState.PROGRESSING) {
                    log.info("rollout gates {} passed: {}", stage.jsonName(), detail);
                    then.run();
                  }
                  save();
                }
              }

              @Override
              public void failed(String why) {
                synchronized (RolloutController.this) {
                  if (gateWait != w) {
                    return;
                  }
                  boolean first = w.lastFailure == null;
                  w.lastFailure = why;
                  if (first) {
                    emit(Type.GATE_FAILED, state, false, stage.jsonName() + ": " + why, null);
                  }
                  save();
                }
              }
            });
  }

  private void cancelGate() {
    GateWait w = gateWait;
    gateWait = null;
    if (w != null && w.wait != null) {
      w.wait.cancel();
    }
  }

  /** A wait at a gate: guarded by the controller. */
  private static final class GateWait {
    final GateStage stage;
    final String since;
    Gatekeeper.Wait wait;
    String lastFailure;

    GateWait(GateStage stage, String since) {
      this.stage = stage;
      this.since = since;
    }
  }

  /** The current snapshot, with the last {@value #VERDICTS_KEPT} verdicts. */
  public synchronized RolloutStatus status() {
    return new RolloutStatus(
        state,
        percent,
        step,
        steps,
        inShadowGate(),
        consecutiveFailures,
        updatedAt.toString(),
        reason,
        new ArrayList<>(verdicts),
        attempt,
        revision,
        startedAt.toString(),
        gateWait == null
            ? null
            : new RolloutStatus.GateStatus(gateWait.stage, gateWait.since, gateWait.lastFailure),
        history.list());
  }

  /**
   * The answer to a manual operation; the admin API can map {@code ok == false} to 409 Conflict.
   *
   * @param ok whether the operation was applied
   * @param operation pause, resume, promote, rollback or restart
   * @param error why it was refused, or {@code null}
   * @param status the status after the operation
   */
  public record OperationResult(boolean ok, String operation, String error, RolloutStatus status) {}

  private OperationResult operate(String operation, RolloutState required, Runnable action) {
    if (config == null) {
      return new OperationResult(false, operation, "no rollout is configured", status());
    }
    if (state != required) {
      String error =
          "cannot "
              + operation
              + ": the rollout is "
              + state.jsonName()
              + " (expected: "
              + validFrom(operation)
              + ")";
      return new OperationResult(false, operation, error, status());
    }
    action.run();
    save();
    return new OperationResult(true, operation, null, status());
  }

  private static String validFrom(String operation) {
    return switch (operation) {
      case "pause" -> "progressing";
      case "resume" -> "paused";
      case "promote" -> "progressing or paused";
      case "restart" -> "any state but idle";
      default -> "progressing, paused or promoted";
    };
  }

  /**
   * Moves up one step (or to promoted), after the pre-step or pre-promotion gates unless {@code
   * manual}; while waiting, a further call does nothing.
   */
  private void advance(boolean manual, String reason, Verdict cause) {
    if (manual) {
      cancelGate();
      advanceNow(true, reason, cause);
      return;
    }
    boolean promoting = step + 1 >= steps.size() || steps.get(step + 1) >= 100;
    GateStage stage = promoting ? GateStage.PRE_PROMOTION : GateStage.PRE_STEP;
    if (!gates.has(stage)) {
      advanceNow(false, reason, cause);
    } else if (gateWait == null) {
      waitAtGate(
          stage,
          () -> advanceNow(false, reason + "; gates " + stage.jsonName() + " passed", cause));
    }
  }

  private void advanceNow(boolean manual, String reason, Verdict cause) {
    if (step + 1 >= steps.size()) {
      transition(
          RolloutState.PROMOTED, Type.PROMOTED, manual, "last step passed: " + reason, cause);
      return;
    }
    boolean fromZero = percent <= 0;
    step++;
    setPercent(steps.get(step));
    resetWindow(fromZero && percent > 0);
    if (percent >= 100) {
      transition(RolloutState.PROMOTED, Type.PROMOTED, manual, reason, cause);
    } else {
      transition(RolloutState.PROGRESSING, Type.STEP_ADVANCED, manual, reason, cause);
    }
  }

  private void rollBack(boolean manual, String reason, Verdict cause) {
    setPercent(0);
    transition(RolloutState.ROLLED_BACK, Type.ROLLED_BACK, manual, reason, cause);
  }

  private void transition(
      RolloutState to, Type type, boolean manual, String reason, Verdict cause) {
    RolloutState from = state;
    state = to;
    this.reason = reason;
    if (to != RolloutState.PROGRESSING) {
      consecutiveFailures = 0;
      cancelGate();
    }
    if (to == RolloutState.PROMOTED || to == RolloutState.ROLLED_BACK) {
      history.finish(finished(to.jsonName()));
    }
    emit(type, from, manual, reason, cause);
  }

  private void setPercent(double p) {
    percent = p;
    sink.setCanaryPercent(p);
  }

  private void resetWindow(boolean warmUp) {
    Instant now = clock.instant();
    window.restart(now, warmUp);
    evidence.reset(window.warmingUp(now));
    consecutiveFailures = 0;
    deadline.restart(now);
  }

  private boolean inShadowGate() {
    return config != null
        && config.shadowGate()
        && step == 0
        && state != RolloutState.ROLLED_BACK
        && state != RolloutState.PROMOTED;
  }

  private void emit(Type type, RolloutState from, boolean manual, String reason, Verdict cause) {
    updatedAt = clock.instant();
    RolloutLog.deliver(
        new RolloutEvent(
            type, updatedAt.toString(), state, from, percent, step, manual, reason, cause),
        listener);
  }

  private void save() {
    if (store == null) {
      return;
    }
    updatedAt = clock.instant();
    try {
      store.save(status());
    } catch (RolloutStore.ConflictException e) {
      log.info("rollout state not stored, another replica changed it first: {}", e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.error("could not write the rollout state to {}", store.describe(), e);
    }
  }
}
