/**
 * Automated canary analysis and rollback, in plain Java (no Netty). {@link
 * io.canaryproxy.analysis.CanaryJudge} turns one interval of per-variant HdrHistograms and counts
 * ({@link io.canaryproxy.analysis.JudgeInput}) into a {@link io.canaryproxy.analysis.Verdict}: a
 * Mann-Whitney test computed on the histogram buckets plus a percentile ratio for latency, a
 * two-proportion z-test plus a tolerance for errors, and the mirror mismatch rate. {@link
 * io.canaryproxy.analysis.RolloutController} feeds verdicts into the rollout state machine (idle,
 * progressing, paused, promoted, rolledBack), sets the canary percentage through a {@link
 * io.canaryproxy.analysis.CanaryPercentSink}, persists its state file and emits events; {@code
 * StepWindow} tracks the current step's observation window and its warm-up. Start reading at {@code
 * CanaryJudge}, then {@code RolloutController}.
 */
package io.canaryproxy.analysis;
