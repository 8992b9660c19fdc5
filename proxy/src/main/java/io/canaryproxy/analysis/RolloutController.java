package io.canaryproxy.analysis;

import io.canaryproxy.config.LifecycleConfig;
import io.canaryproxy.config.RolloutConfig;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;

/**
 * The rollout: it owns the canary share (through a {@link CanaryPercentSink}), judges each analysis
 * interval handed to {@link #onInterval}, and moves the canary up {@code rollout.steps}, or rolls
 * it back, by these rules:
 *
 * <ul>
 *   <li>Judging ({@link StepAnalysis}): each interval joins the step's evidence; a step advances at
 *       a PASS look once it has been observed for {@code stepInterval}, and {@code
 *       failureThreshold} consecutive FAIL looks, or {@code maxInconclusive} without a decisive
 *       look, apply {@code onFailure} or {@code onInconclusive}. {@link #inconclusiveLooks()}
 *       counts INCONCLUSIVE looks for the metrics.
 *   <li>Promotion: entering a step of 100% means promoted; passing the last step too.
 *   <li>Failure: {@code rollback} sets the share to 0 and the state to rolledBack; {@code pause}
 *       holds the share in paused.
 *   <li>Shadow gate ({@code shadowGate: true}): step 0 runs at 0% and judges the mirror (shadow
 *       latency against stable, and the mismatch rate) instead of the canary.
 *   <li>Warm-up ({@code analysis.warmup}): for that long after the canary starts receiving traffic
 *       (start, restart, resume, leaving a 0% step) verdicts are recorded but {@link
 *       Verdict#ignored() ignored} unless errors or mismatches failed. Other step changes only add
 *       users on an already warm canary.
 *   <li>Paused: intervals are still judged and recorded, but cause no transition.
 *   <li>Lifecycle ({@link LifecycleConfig}): {@link #restart} starts a new attempt from step 0 and
 *       keeps the finished one in the history ({@link RolloutAttempts}); a new canary revision
 *       ({@link #onRevision}) does the same by itself; {@code progressDeadline} pauses or rolls
 *       back a step that has not advanced in time; gates hold the rollout until they answer 2xx
 *       ({@link GateHold}; manual operations skip them); business-metric results join each canary
 *       verdict ({@link MetricChecks}).
 * </ul>
 *
 * <p>Every change is written to the state file; after a restart, {@link #start()} resumes from it
 * (rolledBack stays rolledBack at 0%, paused stays paused). This class is the public, thread-safe
 * face of the rollout: it checks and answers the manual operations, and {@link RolloutMachine} runs
 * the state machine. Thread-safe: all methods synchronize on the controller and never block on I/O
 * other than the small state file write.
 */
public final class RolloutController {
  /** Verdicts kept in the status and the state file. */
  public static final int VERDICTS_KEPT = 20;

  private final RolloutMachine machine;

  private static RolloutStore fileStore(RolloutConfig config) {
    return config == null || config.stateFile() == null
        ? null
        : new RolloutStateStore(config.stateFile());
  }

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
    this.machine = new RolloutMachine(this, config, clock, gates, metrics, sink, listener, store);
  }

  /**
   * Starts the rollout: resumes the state file's state when it holds one, else starts progressing
   * at step 0; then applies the canary share to the sink. Does nothing without a rollout section.
   *
   * @throws java.io.UncheckedIOException when the state file exists but cannot be read
   */
  public synchronized RolloutStatus start() {
    machine.start();
    return machine.status();
  }

  /**
   * Judges one interval and applies the rules above. Call it once per {@code
   * rollout.analysis.interval}.
   *
   * @return the verdict, or empty when the rollout is not progressing or paused (nothing is judged
   *     then)
   */
  public synchronized Optional<Verdict> onInterval(JudgeInput in) {
    return machine.onInterval(in);
  }

  /**
   * INCONCLUSIVE looks judged since this controller was built, in every state that judges; a
   * monotonic count for a metrics counter.
   */
  public synchronized long inconclusiveLooks() {
    return machine.inconclusiveLooks();
  }

  /**
   * Takes {@code s}, the state another replica stored, as this controller's state without judging,
   * saving or emitting anything, and applies its share to the sink: how a replica follows the
   * fleet. A changed step or state starts a fresh observation window (and a warm-up when the canary
   * starts receiving traffic again). Ignored before {@link #start()} and for an idle {@code s}.
   */
  public synchronized void adopt(RolloutStatus s) {
    machine.adopt(s);
  }

  /** Holds the canary at its step. Valid when progressing. */
  public synchronized OperationResult pause() {
    return operate("pause", RolloutState.PROGRESSING, machine::pause);
  }

  /**
   * Resumes judging and stepping from the current step, with a fresh observation window and a fresh
   * warm-up (an operator often paused to fix or redeploy the canary). Valid when paused.
   */
  public synchronized OperationResult resume() {
    return operate("resume", RolloutState.PAUSED, machine::resume);
  }

  /**
   * Skips to the next step now, or to promoted from the last one. Valid when progressing or paused;
   * a paused rollout is progressing again afterwards.
   */
  public synchronized OperationResult promote() {
    RolloutState state = machine.state();
    RolloutState from = state == RolloutState.PAUSED ? state : RolloutState.PROGRESSING;
    return operate("promote", from, machine::promote);
  }

  /** Sends no more users to the canary. Valid when progressing, paused or promoted. */
  public synchronized OperationResult rollback() {
    RolloutState state = machine.state();
    RolloutState from =
        state == RolloutState.PAUSED || state == RolloutState.PROMOTED
            ? state
            : RolloutState.PROGRESSING;
    return operate("rollback", from, machine::rollback);
  }

  /**
   * Starts a new attempt from step 0, as a fresh rollout (pre-rollout gates, warm-up, empty
   * verdicts), and keeps the current one in the history (as superseded unless it was promoted or
   * rolled back). Valid in every state but idle.
   */
  public synchronized OperationResult restart() {
    if (machine.configured() && machine.state() != RolloutState.IDLE) {
      machine.restart();
      machine.save();
      return new OperationResult(true, "restart", null, machine.status());
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
    return machine.onRevision(seen);
  }

  /** The history of finished rollouts and the current one, for {@code /admin/rollout/history}. */
  public synchronized Map<String, Object> history() {
    return machine.history();
  }

  /** The current snapshot, with the last {@value #VERDICTS_KEPT} verdicts. */
  public synchronized RolloutStatus status() {
    return machine.status();
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
    if (!machine.configured()) {
      return new OperationResult(false, operation, "no rollout is configured", status());
    }
    if (machine.state() != required) {
      String error =
          "cannot "
              + operation
              + ": the rollout is "
              + machine.state().jsonName()
              + " (expected: "
              + validFrom(operation)
              + ")";
      return new OperationResult(false, operation, error, status());
    }
    action.run();
    machine.save();
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
}
