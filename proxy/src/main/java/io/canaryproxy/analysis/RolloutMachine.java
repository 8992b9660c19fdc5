package io.canaryproxy.analysis;

import io.canaryproxy.analysis.RolloutEvent.Type;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.LifecycleConfig;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The rollout state machine behind {@link RolloutController}, its one owner of where the rollout
 * stands: state, step, canary share and reason. Each transition applies the share to the sink and
 * emits an event; {@link #save()} writes the status to the store. It asks {@link StepAnalysis} what
 * a look means for the step, holds the rollout at gates through {@link GateHold}, and keeps the
 * attempts in {@link RolloutAttempts}. Not thread-safe: the controller calls it under its lock,
 * which the gate answers take too.
 */
final class RolloutMachine {
  private static final String FIRST_STEP_PROMOTED = "the first step is 100%";

  private final RolloutConfig config;
  private final CanaryPercentSink sink;
  private final RolloutEventListener listener;
  private final RolloutStore store;
  private final Clock clock;
  private final RolloutSteps steps;
  private final StepAnalysis analysis;
  private final GateHold gates;
  private final RolloutAttempts attempts;

  private RolloutState state = RolloutState.IDLE;
  private int step;
  private double percent;
  private String reason = "";
  private Instant updatedAt;

  /**
   * A machine for {@code config}, or one that stays idle when it is {@code null}; {@code lock} is
   * the controller's, taken by the gate answers.
   */
  RolloutMachine(
      Object lock,
      RolloutConfig config,
      Clock clock,
      Gatekeeper gates,
      MetricSource metrics,
      CanaryPercentSink sink,
      RolloutEventListener listener,
      RolloutStore store) {
    Objects.requireNonNull(gates, "gates");
    Objects.requireNonNull(metrics, "metrics");
    this.config = config;
    this.sink = Objects.requireNonNull(sink, "sink");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.updatedAt = clock.instant();
    LifecycleConfig lifecycle = config == null ? LifecycleConfig.DEFAULTS : config.lifecycle();
    this.attempts = new RolloutAttempts(lifecycle.historySize(), updatedAt);
    this.gates = new GateHold(gates, lock, clock);
    this.analysis = config == null ? null : new StepAnalysis(config, clock, metrics, updatedAt);
    this.store = config == null ? null : store;
    this.steps = config == null ? RolloutSteps.NONE : RolloutSteps.of(config);
  }

  /** True when there is a rollout section. */
  boolean configured() {
    return config != null;
  }

  RolloutState state() {
    return state;
  }

  /**
   * Resumes the store's state when it holds one, else starts progressing at step 0; then applies
   * the share. Does nothing without a rollout section or once started.
   */
  void start() {
    if (config == null || state != RolloutState.IDLE) {
      return;
    }
    Optional<RolloutStatus> saved = store == null ? Optional.empty() : store.load();
    Instant now = clock.instant();
    // a restarted proxy has cold connection pools; a few canary requests would pay for all of them
    analysis.restart(now, true);
    if (saved.isPresent() && saved.get().state() != RolloutState.IDLE) {
      attempts.startedAt(now); // unless the stored status says when it started
      takeStored(saved.get());
    } else {
      state = RolloutState.PROGRESSING;
      step = 0;
      attempts.startedAt(now);
      percent = gates.has(GateStage.PRE_ROLLOUT) ? 0 : steps.share(0);
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
        enterFirstStep();
      } else if (pending != null && gates.has(pending)) {
        waitAtGate(pending, () -> advanceNow(false, "gates passed after a restart", null));
      } else if (percent >= 100) {
        transition(RolloutState.PROMOTED, Type.PROMOTED, false, FIRST_STEP_PROMOTED, null);
      }
    }
    save();
  }

  /**
   * Sends the canary its first step's share, after the pre-rollout gates when there are any (the
   * share stays 0 until they pass); {@code step} is 0 and the state progressing.
   */
  private void enterFirstStep() {
    Runnable enter =
        () -> {
          if (percent != steps.share(0)) {
            setPercent(steps.share(0));
          }
          resetWindow(true);
          if (percent >= 100) {
            transition(RolloutState.PROMOTED, Type.PROMOTED, false, FIRST_STEP_PROMOTED, null);
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

  /** Judges one interval while progressing or paused; see {@link RolloutController#onInterval}. */
  Optional<Verdict> onInterval(JudgeInput in) {
    if (state != RolloutState.PROGRESSING && state != RolloutState.PAUSED) {
      return Optional.empty();
    }
    Verdict v = analysis.look(in, inShadowGate(), clock.instant());
    attempts.record(v);
    RolloutLog.verdict(v, step, percent);
    if (v.outcome() == Outcome.FAIL && !v.ignored()) {
      // none for an ignored FAIL: alerts on verdictFailed must not fire for a cold canary
      emit(Type.VERDICT_FAILED, state, false, v.reason(), v);
    }
    boolean beforeTraffic = gates.stage() == GateStage.PRE_ROLLOUT;
    if (state == RolloutState.PROGRESSING && !beforeTraffic) {
      StepAnalysis.Move move = analysis.decide(v, clock.instant());
      if (move != null) {
        make(move, v);
      }
    }
    checkDeadline();
    save();
    return Optional.of(v);
  }

  /** Makes the move that a look ({@code cause}) or the progress deadline asks for. */
  private void make(StepAnalysis.Move move, Verdict cause) {
    if (move.advances()) {
      advance(false, move.reason(), cause);
    } else if (move.action() == OnFailure.PAUSE) {
      transition(RolloutState.PAUSED, Type.PAUSED, false, move.reason(), cause);
    } else {
      rollBack(false, move.reason(), cause);
    }
  }

  /** Pauses or rolls back when the step has not advanced within {@code progressDeadline}. */
  private void checkDeadline() {
    if (state != RolloutState.PROGRESSING) {
      return;
    }
    StepAnalysis.Move move = analysis.pastDeadline(step, clock.instant());
    if (move != null) {
      emit(Type.PROGRESS_DEADLINE, state, false, move.reason(), null);
      make(move, null);
    }
  }

  long inconclusiveLooks() {
    return analysis == null ? 0 : analysis.inconclusiveLooks();
  }

  /** Follows a status another replica stored; see {@link RolloutController#adopt}. */
  void adopt(RolloutStatus s) {
    if (config == null || state == RolloutState.IDLE || s.state() == RolloutState.IDLE) {
      return;
    }
    boolean moved = s.state() != state || steps.stored(s) != step;
    boolean fromZero = percent <= 0;
    // The lifecycle fields follow the leader too, so a restart or a new revision on the leader
    // shows on every replica and a replica that becomes leader continues the same attempt.
    takeStored(s);
    if (moved) {
      analysis.reopen(clock.instant(), fromZero && percent > 0);
    }
    sink.setCanaryPercent(percent);
  }

  /**
   * Takes a stored status (the state file's at start, the leader's when following) as this
   * machine's: state, step and its share, failure streak, reason, and the attempt fields. Saves,
   * emits and applies nothing.
   */
  private void takeStored(RolloutStatus s) {
    state = s.state();
    step = steps.stored(s);
    percent = steps.storedShare(s);
    analysis.takeFailures(s);
    reason = s.reason();
    attempts.take(s);
  }

  /** The operator's pause; the controller checked that the rollout is progressing. */
  void pause() {
    transition(RolloutState.PAUSED, Type.PAUSED, true, "paused by an operator", null);
  }

  /** The operator's resume, with a fresh window and warm-up; the rollout is paused. */
  void resume() {
    // paused before the canary got traffic (at its pre-rollout gates): enter step 0 now
    boolean beforeTraffic = step == 0 && percent <= 0 && steps.share(0) > 0;
    resetWindow(true);
    transition(RolloutState.PROGRESSING, Type.RESUMED, true, "resumed by an operator", null);
    if (beforeTraffic) {
      enterFirstStep();
    }
  }

  /** The operator's promote: the next step now, or promoted from the last one. */
  void promote() {
    advance(true, "promoted by an operator", null);
  }

  /** The operator's rollback. */
  void rollback() {
    rollBack(true, "rolled back by an operator", null);
  }

  /** The operator's restart: a new attempt for the same revision. */
  void restart() {
    restartAttempt(true, "restarted by an operator", attempts.revision());
  }

  /** Notes the canary's revision; see {@link RolloutController#onRevision}. */
  boolean onRevision(String seen) {
    String r = RolloutAttempts.normalize(seen);
    if (config == null || state == RolloutState.IDLE || r == null) {
      return false;
    }
    String was = attempts.revision();
    if (was == null) {
      attempts.revision(r); // the first one seen is the current attempt's
    } else if (attempts.isNew(r)) {
      restartAttempt(false, "new canary revision " + r + " (was " + was + ")", r);
    } else {
      return false;
    }
    save();
    return was != null;
  }

  Map<String, Object> history() {
    return attempts.describe(state, reason);
  }

  private void restartAttempt(boolean manual, String why, String newRevision) {
    attempts.restart(state, reason, newRevision, clock.instant());
    gates.cancel();
    resetWindow(true);
    RolloutState from = state;
    analysis.newAttempt();
    step = 0;
    state = RolloutState.PROGRESSING;
    reason = why;
    enterFirstStep();
    // after step 0's share is applied (or held at 0 by the pre-rollout gates), so the event says it
    emit(Type.RESTARTED, from, manual, why, null);
  }

  /**
   * Holds the rollout at {@code stage}'s gates; {@code then} runs under the lock once they pass,
   * unless the wait was cancelled or the rollout left progressing meanwhile.
   */
  private void waitAtGate(GateStage stage, Runnable then) {
    gates.await(
        stage,
        detail -> {
          if (state == RolloutState.PROGRESSING) {
            RolloutLog.gatesPassed(stage, detail);
            then.run();
          }
          save();
        },
        (why, first) -> {
          if (first) {
            emit(Type.GATE_FAILED, state, false, stage.jsonName() + ": " + why, null);
          }
          save();
        });
  }

  /**
   * Moves up one step (or to promoted), after the pre-step or pre-promotion gates unless {@code
   * manual}; while waiting, a further call does nothing.
   */
  private void advance(boolean manual, String reason, Verdict cause) {
    if (manual) {
      gates.cancel();
      advanceNow(true, reason, cause);
      return;
    }
    GateStage stage = steps.promotesFrom(step) ? GateStage.PRE_PROMOTION : GateStage.PRE_STEP;
    if (!gates.has(stage)) {
      advanceNow(false, reason, cause);
    } else if (gates.stage() == null) {
      waitAtGate(
          stage,
          () -> advanceNow(false, reason + "; gates " + stage.jsonName() + " passed", cause));
    }
  }

  private void advanceNow(boolean manual, String reason, Verdict cause) {
    if (steps.isLast(step)) {
      transition(
          RolloutState.PROMOTED, Type.PROMOTED, manual, "last step passed: " + reason, cause);
      return;
    }
    boolean fromZero = percent <= 0;
    step++;
    setPercent(steps.share(step));
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
      analysis.clearFailures();
      gates.cancel();
    }
    if (to == RolloutState.PROMOTED || to == RolloutState.ROLLED_BACK) {
      attempts.finish(to.jsonName(), reason, clock.instant());
    }
    emit(type, from, manual, reason, cause);
  }

  private void setPercent(double p) {
    percent = p;
    sink.setCanaryPercent(p);
  }

  private void resetWindow(boolean warmUp) {
    analysis.restart(clock.instant(), warmUp);
  }

  private boolean inShadowGate() {
    return steps.inShadowGate(step, state);
  }

  private void emit(Type type, RolloutState from, boolean manual, String reason, Verdict cause) {
    updatedAt = clock.instant();
    RolloutLog.deliver(
        new RolloutEvent(
            type, updatedAt.toString(), state, from, percent, step, manual, reason, cause),
        listener);
  }

  /** Writes the status to the store, if any; a failure is logged, never thrown. */
  void save() {
    if (store == null) {
      return;
    }
    updatedAt = clock.instant();
    RolloutLog.save(store, this::status);
  }

  /** The current snapshot; see {@link RolloutController#status}. */
  RolloutStatus status() {
    return new RolloutStatus(
        state,
        percent,
        step,
        steps.shares(),
        inShadowGate(),
        analysis == null ? 0 : analysis.consecutiveFailures(),
        updatedAt.toString(),
        reason,
        attempts.verdicts(),
        attempts.attempt(),
        attempts.revision(),
        attempts.startedAt().toString(),
        gates.status(),
        attempts.finished());
  }
}
