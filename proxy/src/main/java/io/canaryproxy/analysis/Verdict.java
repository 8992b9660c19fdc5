package io.canaryproxy.analysis;

import java.util.List;

/**
 * The judge's decision at one look, on the data accumulated since the step's observation began,
 * with the evidence behind it. Serializes to JSON with Jackson as is; absent measurements are
 * {@code null}, never NaN.
 *
 * @param outcome PASS, FAIL or INCONCLUSIVE
 * @param at when the interval was judged, ISO-8601 UTC
 * @param comparison {@code canary} (canary against stable) or {@code shadow} (shadow against
 *     stable, the shadow gate); in the evidence, the "canary" fields then describe the shadow
 * @param reason one short human sentence
 * @param evidence the numbers
 * @param warmup true when judged within {@code rollout.analysis.warmup} of the canary starting to
 *     receive traffic
 * @param ignored true when the warm-up set this verdict aside: a PASS, INCONCLUSIVE or a FAIL on
 *     latency alone during warm-up neither counts toward {@code failureThreshold} nor toward step
 *     advancement (a FAIL of the error-rate or mismatch check still counts); always false outside
 *     warm-up
 * @param recent the recent window whose checks failed when the look FAILed on recent data alone (a
 *     canary that degraded in the middle of a step), else {@code null}
 * @param metrics the business-metric checks ({@code rollout.analysis.metrics}) that took part in
 *     this verdict, each with its value; empty when none are configured (see {@link MetricChecks})
 */
public record Verdict(
    Outcome outcome,
    String at,
    String comparison,
    String reason,
    Evidence evidence,
    boolean warmup,
    boolean ignored,
    Window recent,
    List<MetricResult> metrics) {

  public Verdict {
    if (ignored && !warmup) {
      throw new IllegalArgumentException("ignored: true (expected: only with warmup: true)");
    }
    metrics = metrics == null ? List.of() : List.copyOf(metrics);
  }

  /** A verdict decided on the whole step's evidence, without business-metric checks. */
  public Verdict(
      Outcome outcome,
      String at,
      String comparison,
      String reason,
      Evidence evidence,
      boolean warmup,
      boolean ignored) {
    this(outcome, at, comparison, reason, evidence, warmup, ignored, null, List.of());
  }

  /** A verdict that FAILed on a recent window, without business-metric checks. */
  public Verdict(
      Outcome outcome,
      String at,
      String comparison,
      String reason,
      Evidence evidence,
      boolean warmup,
      boolean ignored,
      Window recent) {
    this(outcome, at, comparison, reason, evidence, warmup, ignored, recent, List.of());
  }

  /** A verdict judged outside warm-up. */
  public Verdict(Outcome outcome, String at, String comparison, String reason, Evidence evidence) {
    this(outcome, at, comparison, reason, evidence, false, false, null, List.of());
  }

  /**
   * The most recent part of a step, judged beside the whole step so that a canary that degrades in
   * the middle of a long step is not diluted by its healthy start.
   *
   * @param looks looks the window spans, the current one included
   * @param evidence the window's numbers and checks, judged at its own share of the error budget
   *     ({@link Evidence#alpha()})
   */
  public record Window(int looks, Evidence evidence) {}

  /** The outcome of one look. INCONCLUSIVE never counts as a failure. */
  public enum Outcome {
    PASS,
    FAIL,
    INCONCLUSIVE
  }

  /**
   * What one check concluded: FAIL (worse than its tolerance, by the always-valid test), PASS
   * (better than its tolerance with {@code confidence}), UNDECIDED (neither yet) or NO_DATA.
   */
  public enum CheckResult {
    FAIL,
    PASS,
    UNDECIDED,
    NO_DATA
  }

  /**
   * The latency check: the canary's location against stable's as a ratio and as a shift
   * (Hodges-Lehmann estimates from the Mann-Whitney statistic on the histograms), each with its
   * interval. {@code lower} bounds use the always-valid (sequential) level, {@code upper} bounds
   * the per-look {@code confidence}. FAIL needs both lower bounds above their tolerance; PASS needs
   * one upper bound below it.
   *
   * @param maxRatio tolerated ratio, 1 + {@code latency.tolerance}
   * @param minShiftMs tolerated shift, {@code latency.minShift} in milliseconds
   * @param ratio canary/stable location ratio estimate, or null without data
   * @param ratioLower lower bound of the ratio
   * @param ratioUpper upper bound of the ratio
   * @param shiftMs canary minus stable location shift estimate, milliseconds
   * @param shiftLowerMs lower bound of the shift
   * @param shiftUpperMs upper bound of the shift
   * @param pValue always-valid p-value of "slower than both tolerances" (the larger of the two)
   * @param result what the check concluded
   */
  public record LatencyCheck(
      double maxRatio,
      double minShiftMs,
      Double ratio,
      Double ratioLower,
      Double ratioUpper,
      Double shiftMs,
      Double shiftLowerMs,
      Double shiftUpperMs,
      Double pValue,
      CheckResult result) {}

  /**
   * The tail check: the share of canary requests above a tolerated threshold against the share of
   * stable requests above stable's {@code percentile}, and the same at a deeper level; a guard that
   * can FAIL but never decides a PASS.
   *
   * @param thresholdMs stable's latency at {@code percentile}
   * @param toleratedMs the canary's threshold: the larger of threshold × (1 + tailTolerance) and
   *     threshold + minShift
   * @param stableShare share of stable requests above {@code thresholdMs}
   * @param canaryShare share of canary requests above {@code toleratedMs}
   * @param pValue always-valid p-value of "the canary's share is larger" at either level: twice the
   *     smaller of the two levels' p-values, at most 1
   * @param result FAIL, UNDECIDED (not failing) or NO_DATA
   * @param percentilePValue the always-valid p-value at {@code percentile} alone, or null in
   *     verdicts written before the deeper level existed
   * @param deep the deeper level, ten times further out (99.9 for 99), or null while stable has too
   *     few requests to place it
   */
  public record TailCheck(
      Double thresholdMs,
      Double toleratedMs,
      Double stableShare,
      Double canaryShare,
      Double pValue,
      CheckResult result,
      Double percentilePValue,
      Level deep) {

    /**
     * One deeper level of the tail check.
     *
     * @param percentile stable's percentile it is placed at
     * @param thresholdMs stable's latency there
     * @param toleratedMs the canary's threshold, as for the main level
     * @param stableShare share of stable requests above {@code thresholdMs}
     * @param canaryShare share of canary requests above {@code toleratedMs}
     * @param pValue its always-valid p-value alone
     */
    public record Level(
        double percentile,
        double thresholdMs,
        double toleratedMs,
        double stableShare,
        double canaryShare,
        double pValue) {}
  }

  /**
   * A rate check (errors, or mirror mismatches): the canary's rate against a reference rate plus a
   * tolerance.
   *
   * @param events errors (or mismatches) observed
   * @param trials requests (or comparisons) observed
   * @param referenceEvents the reference's events (stable's errors, the baseline's mismatches), or
   *     0 against a fixed reference of 0
   * @param referenceTrials the reference's trials, 0 when there is none
   * @param rate events / trials, or null without trials
   * @param referenceRate the reference rate, 0 when there is none
   * @param tolerance tolerated excess over the reference rate
   * @param pValue always-valid p-value of "the excess is larger than the tolerance"
   * @param result what the check concluded; the mirror check is a guard (never PASS)
   */
  public record RateCheck(
      long events,
      long trials,
      long referenceEvents,
      long referenceTrials,
      Double rate,
      double referenceRate,
      double tolerance,
      Double pValue,
      CheckResult result) {}

  /**
   * The numbers a verdict rests on, over the data accumulated since the step's observation began.
   * Latencies are in milliseconds.
   *
   * @param stableRequests requests seen on stable
   * @param stableErrors errors on stable
   * @param canaryRequests requests seen on the canary (or the shadow)
   * @param canaryErrors errors on the canary (0 for the shadow)
   * @param percentile the latency percentile compared, e.g. 99
   * @param stableP50Ms stable median, or null without latency data
   * @param canaryP50Ms canary median, or null
   * @param stablePercentileMs stable latency at {@code percentile}, or null
   * @param canaryPercentileMs canary latency at {@code percentile}, or null
   * @param latencyRatio canary over stable at {@code percentile}, or null when it cannot be formed
   *     (descriptive: the tail check, not this ratio, decides)
   * @param latencyPValue the latency check's always-valid p-value, or null when not tested
   * @param stableErrorRate stable errors / requests, or null without requests
   * @param canaryErrorRate canary errors / requests, or null without requests
   * @param errorPValue the error check's always-valid p-value, or null when not tested
   * @param mirrorCompared mirrored responses compared
   * @param mirrorMismatches compared responses that differed
   * @param mismatchRate mismatches / compared, or null when nothing was compared
   * @param alpha the level each check was judged at: a check FAILs when its always-valid p-value is
   *     below it. Of each check's budget for the whole step, (1 - {@code confidence}) / number of
   *     checks, the whole step's evidence gets half and the recent windows share the other half
   *     ({@link RecentWindows})
   * @param latency the latency check, or null in verdicts written before it existed
   * @param tail the tail check, or null likewise
   * @param errors the error-rate check, or null likewise
   * @param mirror the mirror mismatch check, or null without mirrored traffic
   */
  public record Evidence(
      long stableRequests,
      long stableErrors,
      long canaryRequests,
      long canaryErrors,
      double percentile,
      Double stableP50Ms,
      Double canaryP50Ms,
      Double stablePercentileMs,
      Double canaryPercentileMs,
      Double latencyRatio,
      Double latencyPValue,
      Double stableErrorRate,
      Double canaryErrorRate,
      Double errorPValue,
      long mirrorCompared,
      long mirrorMismatches,
      Double mismatchRate,
      double alpha,
      LatencyCheck latency,
      TailCheck tail,
      RateCheck errors,
      RateCheck mirror) {

    /** Evidence without the checks, as verdicts held it before they existed. */
    public Evidence(
        long stableRequests,
        long stableErrors,
        long canaryRequests,
        long canaryErrors,
        double percentile,
        Double stableP50Ms,
        Double canaryP50Ms,
        Double stablePercentileMs,
        Double canaryPercentileMs,
        Double latencyRatio,
        Double latencyPValue,
        Double stableErrorRate,
        Double canaryErrorRate,
        Double errorPValue,
        long mirrorCompared,
        long mirrorMismatches,
        Double mismatchRate) {
      this(
          stableRequests,
          stableErrors,
          canaryRequests,
          canaryErrors,
          percentile,
          stableP50Ms,
          canaryP50Ms,
          stablePercentileMs,
          canaryPercentileMs,
          latencyRatio,
          latencyPValue,
          stableErrorRate,
          canaryErrorRate,
          errorPValue,
          mirrorCompared,
          mirrorMismatches,
          mismatchRate,
          0,
          null,
          null,
          null,
          null);
    }
  }
}
