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
    List<Verdict> verdicts) {

  public RolloutStatus {
    steps = steps == null ? List.of() : List.copyOf(steps);
    reason = reason == null ? "" : reason;
    verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
  }
}
