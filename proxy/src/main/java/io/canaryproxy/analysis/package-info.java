/**
 * Automated canary analysis and rollback, in plain Java (no Netty). {@link
 * io.canaryproxy.analysis.RolloutController} adds each interval of per-variant HdrHistograms and
 * counts ({@link io.canaryproxy.analysis.JudgeInput}) to the step's evidence ({@code
 * StepEvidence}), and {@link io.canaryproxy.analysis.CanaryJudge} looks at all of it and returns a
 * {@link io.canaryproxy.analysis.Verdict}: latency ratio and shift with Hodges-Lehmann intervals
 * from a Mann-Whitney test on the histogram buckets ({@code LatencyComparison}, {@link
 * io.canaryproxy.analysis.HistogramMannWhitney}), a tail-share test, error and mirror-mismatch
 * excess tests, each with a tolerance and an always-valid p-value ({@link
 * io.canaryproxy.analysis.Statistics}); {@link io.canaryproxy.analysis.VerdictText} writes them.
 * The controller is the thread-safe face of the rollout; {@code RolloutMachine} behind it runs the
 * state machine (idle, progressing, paused, promoted, rolledBack), sets the canary percentage
 * through a {@link io.canaryproxy.analysis.CanaryPercentSink}, keeps its state in a {@link
 * io.canaryproxy.analysis.RolloutStore} (the state file, or the fleet's store in {@code
 * io.canaryproxy.coordination}) and emits events. {@code StepAnalysis} judges the current step and
 * says when it must move ({@code StepWindow} tracks the step's clock, its warm-up and its
 * indecision), {@code GateHold} holds the rollout at its gates, and {@code RolloutAttempts} keeps
 * the attempts and their history. Start reading at {@code CanaryJudge}, then {@code
 * RolloutController} and {@code RolloutMachine}.
 */
package io.canaryproxy.analysis;
