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
 * @param onFailure what to do after {@code failureThreshold} consecutive FAIL looks
 * @param stateFile where the rollout state is persisted; default {@code ./rollout-state.json}
 * @param webhook URL that receives rollout events as JSON POSTs, or {@code null}
 * @param shadowGate start with a 0% step that only advances when the mirror comparison passes;
 *     default false
 * @param lifecycle history, progress deadline, gates, revision detection and business metrics
 * @param coordination where the replicas agree on the rollout; default {@link
 *     CoordinationConfig#FILE} (one replica, the state file)
 */
public record RolloutConfig(
    List<Double> steps,
    Duration stepInterval,
    AnalysisConfig analysis,
    OnFailure onFailure,
    Path stateFile,
    URI webhook,
    boolean shadowGate,
    LifecycleConfig lifecycle,
    CoordinationConfig coordination) {

  public RolloutConfig {
    lifecycle = lifecycle == null ? LifecycleConfig.DEFAULTS : lifecycle;
    coordination = coordination == null ? CoordinationConfig.FILE : coordination;
  }

  /**
   * A rollout without lifecycle settings ({@link LifecycleConfig#DEFAULTS}), coordinated by its
   * state file alone (one replica).
   */
  public RolloutConfig(
      List<Double> steps,
      Duration stepInterval,
      AnalysisConfig analysis,
      OnFailure onFailure,
      Path stateFile,
      URI webhook,
      boolean shadowGate) {
    this(
        steps,
        stepInterval,
        analysis,
        onFailure,
        stateFile,
        webhook,
        shadowGate,
        LifecycleConfig.DEFAULTS,
        CoordinationConfig.FILE);
  }

  /** These settings with {@code lifecycle}. */
  public RolloutConfig withLifecycle(LifecycleConfig lifecycle) {
    return new RolloutConfig(
        steps,
        stepInterval,
        analysis,
        onFailure,
        stateFile,
        webhook,
        shadowGate,
        lifecycle,
        coordination);
  }

  /** This rollout coordinated by {@code coordination}. */
  public RolloutConfig withCoordination(CoordinationConfig coordination) {
    return new RolloutConfig(
        steps,
        stepInterval,
        analysis,
        onFailure,
        stateFile,
        webhook,
        shadowGate,
        lifecycle,
        coordination);
  }

  public enum OnFailure {
    ROLLBACK,
    PAUSE
  }

  /**
   * How the canary is judged. Each look judges the data accumulated since the step's observation
   * began (or its warm-up ended).
   *
   * @param interval how often the canary is judged (one look); default 10s
   * @param minRequests requests on each side, in total since the step's observation began, needed
   *     before a look may PASS; a FAIL needs only min(30, minRequests); default 200
   * @param percentile stable's latency percentile that the tail check counts the canary's requests
   *     above (and ten times further out, p99.9 for 99), 0..100 exclusive; default 99
   * @param tolerance tolerated relative latency regression: latency FAILs only when the lower bound
   *     of the canary/stable ratio exceeds 1 + tolerance (and the shift exceeds {@code minShift});
   *     default 0.2. The deprecated {@code latency.maxRatio} sets it to maxRatio - 1
   * @param minShift tolerated absolute latency shift; default 1ms
   * @param tailTolerance tolerated relative increase of the latency at {@code percentile}: the tail
   *     check counts canary requests above max(T × (1 + tailTolerance), T + minShift), T being
   *     stable's latency at {@code percentile}; default 0.5 (the extreme quantiles of two processes
   *     differ more than their medians)
   * @param confidence per step, a check of a canary within its tolerances FAILs with probability at
   *     most (1 - confidence) / number of checks however long the step runs (half for the whole
   *     step, half for its recent windows), and a canary at its latency tolerance reaches a PASS
   *     with probability at most 1 - confidence; default 0.99
   * @param maxErrorIncrease tolerated absolute increase of the error rate over stable's; default
   *     0.01
   * @param errorTolerance tolerated increase relative to stable's error rate; the larger of the two
   *     tolerances applies; default 0.2
   * @param maxMismatchRate tolerated mirror mismatch rate, or with {@code
   *     mirror.compare.stableBaseline} the tolerated excess over the baseline's rate; default 0.05
   * @param failureThreshold consecutive FAIL looks that trigger {@code onFailure}; default 3
   * @param warmup grace period after the canary starts receiving traffic (at the start of the
   *     rollout, after a restart or a resume, and when leaving a 0% step) during which only the
   *     latency checks are set aside: such verdicts are reported but a PASS or a latency-only FAIL
   *     does not count; 0..1h, default 0s (off)
   * @param maxInconclusive longest time a step may go without a counted PASS or FAIL look before
   *     {@code onInconclusive} applies; 0s turns the bound off; default 10m
   * @param onInconclusive what happens then: pause (default) or rollback
   */
  public record AnalysisConfig(
      Duration interval,
      long minRequests,
      double percentile,
      double tolerance,
      Duration minShift,
      double tailTolerance,
      double confidence,
      double maxErrorIncrease,
      double errorTolerance,
      double maxMismatchRate,
      int failureThreshold,
      Duration warmup,
      Duration maxInconclusive,
      OnFailure onInconclusive) {

    /** Default of {@code latency.tolerance}. */
    public static final double DEFAULT_TOLERANCE = 0.2;

    /** Default of {@code latency.minShift}. */
    public static final Duration DEFAULT_MIN_SHIFT = Duration.ofMillis(1);

    /** Default of {@code latency.tailTolerance}. */
    public static final double DEFAULT_TAIL_TOLERANCE = 0.5;

    /** Default of {@code errorRate.tolerance}. */
    public static final double DEFAULT_ERROR_TOLERANCE = 0.2;

    /** Default of {@code maxInconclusive}. */
    public static final Duration DEFAULT_MAX_INCONCLUSIVE = Duration.ofMinutes(10);

    /**
     * The analysis settings in their first-wave form: {@code maxRatio} becomes {@code tolerance =
     * maxRatio - 1}, and every newer setting takes its default; {@code warmup: 0s}.
     */
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
          toleranceOf(maxRatio),
          DEFAULT_MIN_SHIFT,
          DEFAULT_TAIL_TOLERANCE,
          confidence,
          maxErrorIncrease,
          DEFAULT_ERROR_TOLERANCE,
          maxMismatchRate,
          failureThreshold,
          Duration.ZERO,
          DEFAULT_MAX_INCONCLUSIVE,
          OnFailure.PAUSE);
    }

    /** The first-wave analysis settings with {@code warmup}; as the constructor above. */
    public AnalysisConfig(
        Duration interval,
        long minRequests,
        double percentile,
        double maxRatio,
        double confidence,
        double maxErrorIncrease,
        double maxMismatchRate,
        int failureThreshold,
        Duration warmup) {
      this(
          interval,
          minRequests,
          percentile,
          toleranceOf(maxRatio),
          DEFAULT_MIN_SHIFT,
          DEFAULT_TAIL_TOLERANCE,
          confidence,
          maxErrorIncrease,
          DEFAULT_ERROR_TOLERANCE,
          maxMismatchRate,
          failureThreshold,
          warmup,
          DEFAULT_MAX_INCONCLUSIVE,
          OnFailure.PAUSE);
    }

    /** {@code latency.tolerance} for a deprecated {@code latency.maxRatio}. */
    public static double toleranceOf(double maxRatio) {
      return Math.round((maxRatio - 1) * 1e9) / 1e9;
    }

    /** The tolerated canary/stable latency ratio, 1 + {@code tolerance}. */
    public double maxRatio() {
      return 1 + tolerance;
    }

    /** These settings with {@code warmup}. */
    public AnalysisConfig withWarmup(Duration warmup) {
      return new AnalysisConfig(
          interval,
          minRequests,
          percentile,
          tolerance,
          minShift,
          tailTolerance,
          confidence,
          maxErrorIncrease,
          errorTolerance,
          maxMismatchRate,
          failureThreshold,
          warmup,
          maxInconclusive,
          onInconclusive);
    }

    /** These settings with {@code maxInconclusive} and {@code onInconclusive}. */
    public AnalysisConfig withInconclusive(Duration maxInconclusive, OnFailure onInconclusive) {
      return new AnalysisConfig(
          interval,
          minRequests,
          percentile,
          tolerance,
          minShift,
          tailTolerance,
          confidence,
          maxErrorIncrease,
          errorTolerance,
          maxMismatchRate,
          failureThreshold,
          warmup,
          maxInconclusive,
          onInconclusive);
    }
  }
}
