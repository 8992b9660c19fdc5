package io.canaryproxy.analysis;

import java.util.List;

/**
 * A snapshot of the rollout, served by {@code GET /admin/rollout} and stored in the state file.
 *
 * @param state where the rollout stands
 * @param canaryPercent the canary share now applied, 0..100
 * @param step index of the current step in {@code steps}
 * @param steps the canary share of each step; with the shadow gate on, step 0 is the gate at 0%
 * @param inShadowGate true while at the shadow gate step
 * @param consecutiveFailures failed intervals in a row (INCONCLUSIVE ones are skipped, not counted)
 * @param updatedAt when this snapshot was last changed, ISO-8601 UTC
 * @param reason why the rollout is in its state: the reason of the last transition ("" before the
 *     first; a pause for indecision starts with "inconclusive:")
 * @param verdicts the most recent verdicts, oldest first, at most 20
 * @param attempt the current rollout's number: 1 for the first of this state file, one more for
 *     each restart (0 in state files written before restarts existed)
 * @param revision the canary's revision this rollout is for ({@code rollout.revision}), or {@code
 *     null} when unknown
 * @param startedAt when the current rollout started, ISO-8601 UTC, or {@code null} when unknown
 * @param gate the gate the rollout waits at, or {@code null}
 * @param history the last finished rollouts, oldest first ({@code rollout.history})
 */
public record RolloutStatus(
    RolloutState state,
    double canaryPercent,
    int step,
    List<Double> steps,
    boolean inShadowGate,
    int consecutiveFailures,
    String updatedAt,
    String reason,
    List<Verdict> verdicts,
    int attempt,
    String revision,
    String startedAt,
    GateStatus gate,
    List<RolloutHistory.Rollout> history) {

  public RolloutStatus {
    steps = steps == null ? List.of() : List.copyOf(steps);
    reason = reason == null ? "" : reason;
    verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
    history = history == null ? List.of() : List.copyOf(history);
  }

  /** A status without the lifecycle fields, as the first wave wrote it. */
  public RolloutStatus(
      RolloutState state,
      double canaryPercent,
      int step,
      List<Double> steps,
      boolean inShadowGate,
      int consecutiveFailures,
      String updatedAt,
      String reason,
      List<Verdict> verdicts) {
    this(
        state,
        canaryPercent,
        step,
        steps,
        inShadowGate,
        consecutiveFailures,
        updatedAt,
        reason,
        verdicts,
        0,
        null,
        null,
        null,
        null);
  }

  /**
   * A wait at a gate.
   *
   * @param stage which gates
   * @param since when the wait began, ISO-8601 UTC
   * @param lastFailure why the last round failed, or {@code null} before any failed
   */
  public record GateStatus(GateStage stage, String since, String lastFailure) {}
}
