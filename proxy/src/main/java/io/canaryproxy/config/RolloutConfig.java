package io.canaryproxy.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code rollout} section.
 *
 * @param steps canaryPercent values, ascending, each 0..100
 * @param stepInterval least time spent at a step before promotion; default 60s
 * @param analysis how each interval is judged
 * @param onFailure what to do after {@code failureThreshold} consecutive failed intervals
 * @param stateFile where the rollout state is persisted; default {@code ./rollout-state.json}
 * @param webhook URL that receives rollout events as JSON POSTs, or {@code null}
 * @param shadowGate start with a 0% step that only advances when the mirror comparison passes;
 *     default false
 */
public record RolloutConfig(
    List<Double> steps,
    Duration stepInterval,
    AnalysisConfig analysis,
    OnFailure onFailure,
    Path stateFile,
    URI webhook,
    boolean shadowGate) {

  public enum OnFailure {
    ROLLBACK,
    PAUSE
  }

  /**
   * @param interval how often the canary is judged; default 10s
   * @param minRequests fewer requests on either side make an interval inconclusive; default 200
   * @param percentile latency percentile compared, 0..100 exclusive; default 99
   * @param maxRatio canary/stable ratio at that percentile above which latency may fail; default
   *     1.2
   * @param confidence significance level of the statistical tests; default 0.99
   * @param maxErrorIncrease canary error rate minus stable's above which errors may fail; default
   *     0.01
   * @param maxMismatchRate mirror mismatch rate above which an interval fails; default 0.05
   * @param failureThreshold consecutive failed intervals that trigger {@code onFailure}; default 3
   * @param warmup grace period after the canary starts receiving traffic (at the start of the
   *     rollout, after a restart or a resume, and when leaving a 0% step) during which only the
   *     latency check is set aside: such verdicts are reported but a PASS or a latency-only FAIL
   *     does not count; 0..1h, default 0s (off)
   */
  public record AnalysisConfig(
      Duration interval,
      long minRequests,
      double percentile,
      double maxRatio,
      double confidence,
      double maxErrorIncrease,
      double maxMismatchRate,
      int failureThreshold,
      Duration warmup) {

    /** The analysis settings without a warm-up ({@code warmup: 0s}). */
    public AnalysisConfig(
        Duration interval,
        long minRequests,
        double percentile,
        double maxRatio,
        double confidence,
        double maxErrorIncrease,
        double maxMismatchRate,
        int failureThreshold) {
      this(
          interval,
          minRequests,
          percentile,
          maxRatio,
          confidence,
          maxErrorIncrease,
          maxMismatchRate,
          failureThreshold,
          Duration.ZERO);
    }
  }
}
