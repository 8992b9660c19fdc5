package io.canaryproxy.analysis;

/**
 * The judge's decision on one interval, with the evidence behind it. Serializes to JSON with
 * Jackson as is; absent measurements are {@code null}, never NaN.
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
 */
public record Verdict(
    Outcome outcome,
    String at,
    String comparison,
    String reason,
    Evidence evidence,
    boolean warmup,
    boolean ignored) {

  public Verdict {
    if (ignored && !warmup) {
      throw new IllegalArgumentException("ignored: true (expected: only with warmup: true)");
    }
  }

  /** A verdict judged outside warm-up. */
  public Verdict(Outcome outcome, String at, String comparison, String reason, Evidence evidence) {
    this(outcome, at, comparison, reason, evidence, false, false);
  }

  /** The outcome of one interval. INCONCLUSIVE never counts as a failure. */
  public enum Outcome {
    PASS,
    FAIL,
    INCONCLUSIVE
  }

  /**
   * The numbers a verdict rests on. Latencies are in milliseconds at the configured {@code
   * percentile}.
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
   * @param latencyPValue one-sided Mann-Whitney p-value (canary slower), or null when not tested
   * @param stableErrorRate stable errors / requests, or null without requests
   * @param canaryErrorRate canary errors / requests, or null without requests
   * @param errorPValue one-sided two-proportion z-test p-value (canary worse), or null when not
   *     tested
   * @param mirrorCompared mirrored responses compared
   * @param mirrorMismatches compared responses that differed
   * @param mismatchRate mismatches / compared, or null when nothing was compared
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
      Double mismatchRate) {}
}
