package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict.CheckResult;
import io.canaryproxy.analysis.Verdict.RateCheck;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;

/**
 * The two rate checks of {@link CanaryJudge}: the canary's error rate and the mirror's mismatch
 * rate, each in excess of a reference rate (stable's errors; the stable baseline's mismatches, or 0
 * without one) by more than a tolerance. The excess is a z-statistic ({@link
 * Statistics#rateExcess}) judged with the always-valid p-value of {@link
 * Statistics#alwaysValidPValue}, mixture scale τ = {@value #TAU_RATE}. The error check can PASS (an
 * always-valid upper bound below its tolerance); the mirror check only guards.
 */
final class RateComparison {
  /** Mixture scale of the rate tests on errors and mismatches: effects of a few points. */
  static final double TAU_RATE = 0.03;

  private RateComparison() {}

  /**
   * The error check's tolerance: the larger of {@code maxErrorIncrease} and {@code errorTolerance}
   * × stable's error rate.
   */
  static double errorTolerance(AnalysisConfig config, VariantSample stable) {
    return stable.requests() > 0
        ? Math.max(
            config.maxErrorIncrease(),
            config.errorTolerance() * stable.errors() / stable.requests())
        : config.maxErrorIncrease();
  }

  /**
   * The canary's errors against stable's: FAIL below {@code alpha} on at least {@code failFloor}
   * requests per side, PASS when its always-valid upper bound is below {@code tolerance} at {@code
   * alphaPass}.
   */
  static RateCheck errors(
      VariantSample canary,
      VariantSample stable,
      double tolerance,
      long failFloor,
      double alpha,
      double alphaPass) {
    return check(
        canary.errors(),
        canary.requests(),
        stable.errors(),
        stable.requests(),
        tolerance,
        failFloor,
        alpha,
        alphaPass,
        true);
  }

  /**
   * The shadow's mismatches against the stable baseline's (or against 0 without a baseline), a
   * guard that can only FAIL; NO_DATA while a baseline is on but has compared nothing yet.
   */
  static RateCheck mirror(
      MirrorSample mirror, double maxMismatchRate, long failFloor, double alpha) {
    long refEvents = mirror.baseline() == null ? 0 : mirror.baseline().mismatches();
    long refTrials = mirror.baseline() == null ? 0 : mirror.baseline().compared();
    if (mirror.baseline() != null && refTrials == 0) {
      return new RateCheck(
          mirror.mismatches(),
          mirror.compared(),
          0,
          0,
          rate(mirror.mismatches(), mirror.compared()),
          0,
          maxMismatchRate,
          null,
          CheckResult.NO_DATA);
    }
    return check(
        mirror.mismatches(),
        mirror.compared(),
        refEvents,
        refTrials,
        maxMismatchRate,
        failFloor,
        alpha,
        0,
        false);
  }

  /**
   * Whether the canary's error rate exceeds stable's by more than {@code tolerance} as observed,
   * which keeps a look from PASSING. A point condition, not a confidence bound: bounding the excess
   * under 1 point at 99% takes at least 460 canary requests (about 4 minutes at 20 req/s with 10%
   * on the canary), which would keep a healthy canary from advancing within {@code stepInterval} +
   * 2 minutes; the always-valid FAIL rolls back what is beyond the tolerance with confidence.
   */
  static boolean errorsObservedBeyond(
      VariantSample canary, VariantSample stable, double tolerance) {
    if (canary.requests() == 0) {
      return false;
    }
    double ref = stable.requests() > 0 ? (double) stable.errors() / stable.requests() : 0;
    return (double) canary.errors() / canary.requests() - ref > tolerance;
  }

  /** {@code events / trials}, or {@code null} without trials. */
  static Double rate(long events, long trials) {
    return trials > 0 ? (double) events / trials : null;
  }

  /**
   * An excess-over-tolerance check. {@code canPass}: whether an upper bound below the tolerance
   * makes it PASS (the error check) or it only guards (the mirror check).
   */
  private static RateCheck check(
      long events,
      long trials,
      long refEvents,
      long refTrials,
      double tolerance,
      long failFloor,
      double alpha,
      double alphaPass,
      boolean canPass) {
    Double rate = rate(events, trials);
    double refRate = refTrials > 0 ? (double) refEvents / refTrials : 0;
    if (trials == 0) {
      return new RateCheck(
          events,
          trials,
          refEvents,
          refTrials,
          null,
          refRate,
          tolerance,
          null,
          CheckResult.NO_DATA);
    }
    Statistics.RateExcess x =
        Statistics.rateExcess(events, trials, refEvents, refTrials, tolerance);
    double p =
        x.variance() > 0
            ? Statistics.alwaysValidPValue(x.z(), TAU_RATE * TAU_RATE / x.variance())
            : 1.0;
    boolean enough = trials >= failFloor && (refTrials == 0 || refTrials >= failFloor);
    CheckResult result;
    if (enough && p < alpha) {
      result = CheckResult.FAIL;
    } else if (canPass
        && x.variance() > 0
        && Statistics.alwaysValidPValue(-x.z(), TAU_RATE * TAU_RATE / x.variance()) < alphaPass) {
      result = CheckResult.PASS;
    } else {
      result = CheckResult.UNDECIDED;
    }
    return new RateCheck(events, trials, refEvents, refTrials, rate, refRate, tolerance, p, result);
  }
}
