package io.canaryproxy.analysis;

import io.canaryproxy.analysis.HistogramMannWhitney.Buckets;
import io.canaryproxy.analysis.Verdict.CheckResult;
import io.canaryproxy.analysis.Verdict.LatencyCheck;
import io.canaryproxy.analysis.Verdict.TailCheck;
import java.util.function.DoubleUnaryOperator;
import org.HdrHistogram.AbstractHistogram;

/**
 * The two latency checks of {@link CanaryJudge}, computed from the stable and canary histograms.
 *
 * <p>Location: the Mann-Whitney statistic of the canary's values divided by a ratio ρ (or minus a
 * shift δ) against stable's is 0 at the Hodges-Lehmann estimate and crosses ±z at the bounds of its
 * confidence interval; both are found by bisection. "Slower than tolerated" is the test at ρ = 1 +
 * {@code tolerance} (and at δ = {@code minShift}) judged with the always-valid p-value of {@link
 * Statistics#alwaysValidPValue}, its information ratio r = τ²/var(U/mn) with τ = {@value #TAU_AUC}
 * on the probability scale. FAIL needs both ratio and shift beyond tolerance. PASS needs the upper
 * bound of the looser of the two at stable's median (the ratio when tolerance × median ≥ minShift,
 * else the shift) below its tolerance, at the one-sided always-valid level 1 - confidence ({@link
 * Statistics#oneSidedAlwaysValidPValue}, τ = {@value #TAU_PASS}).
 *
 * <p>Tail: the share of canary requests above max(T·(1+tailTolerance), T + minShift), T being
 * stable's latency at {@code percentile}, against the share of stable requests above T, by a pooled
 * two-proportion z-statistic judged the same always-valid way (τ = {@value #TAU_TAIL}).
 */
final class LatencyComparison {
  /** Mixture scale of the location test, on the P(canary &gt; stable) - 1/2 scale. */
  static final double TAU_AUC = 0.1;

  /**
   * Mixture scale of the location test's PASS direction: a healthy canary sits a tolerance away
   * from the boundary, which for a heavy-tailed backend (lognormal σ=1, 20% tolerance) is about
   * 0.05 on the probability scale.
   */
  static final double TAU_PASS = 0.05;

  /** Mixture scale of the tail test: effects of about one point of share. */
  static final double TAU_TAIL = 0.01;

  private LatencyComparison() {}

  /**
   * The location check.
   *
   * @param failFloor fewer values on either side give UNDECIDED, never FAIL
   * @param alpha false-alarm bound of the check for the whole step
   * @param alphaPass bound for the whole step on a PASS of a canary beyond both tolerances (1 -
   *     {@code confidence}), always-valid, spent on the one test chosen by stable's median
   */
  static LatencyCheck location(
      AbstractHistogram stable,
      AbstractHistogram canary,
      double tolerance,
      double minShiftMicros,
      long failFloor,
      double alpha,
      double alphaPass,
      boolean bounds) {
    double maxRatio = 1 + tolerance;
    if (stable.getTotalCount() == 0 || canary.getTotalCount() == 0) {
      return new LatencyCheck(
          maxRatio,
          minShiftMicros / 1000,
          null,
          null,
          null,
          null,
          null,
          null,
          null,
          CheckResult.NO_DATA);
    }
    Buckets s = Buckets.of(stable);
    Buckets c = Buckets.of(canary);
    double r = information(s.total, c.total);
    double zFail = Statistics.sequentialThreshold(alpha, r);
    double zPass =
        Statistics.oneSidedSequentialThreshold(
            alphaPass, r * (TAU_PASS * TAU_PASS) / (TAU_AUC * TAU_AUC));
    double zRatio = z(s, c, ratio(maxRatio));
    double zShift = z(s, c, shift(minShiftMicros));
    // PASS rejects "beyond both tolerances" through one test at the whole alphaPass: the looser of
    // the two at stable's median (the ratio unless tolerance x median is under minShift). Stable's
    // median comes from ~9x the canary's data and the two nulls coincide where the choice flips.
    boolean passByRatio = stable.getValueAtPercentile(50) * tolerance >= minShiftMicros;
    double zPassing = passByRatio ? -zRatio : -zShift;
    double p =
        Math.max(Statistics.alwaysValidPValue(zRatio, r), Statistics.alwaysValidPValue(zShift, r));
    CheckResult result;
    boolean enough = s.total >= failFloor && c.total >= failFloor;
    if (enough && p < alpha) {
      result = CheckResult.FAIL;
    } else if (zPassing >= zPass) {
      result = CheckResult.PASS;
    } else {
      result = CheckResult.UNDECIDED;
    }
    if (!bounds) {
      return new LatencyCheck(
          maxRatio, minShiftMicros / 1000, null, null, null, null, null, null, p, result);
    }
    double lo = Math.log(Math.max(c.min(), 1) / Math.max(s.max(), 1)) - 1;
    double hi = Math.log(Math.max(c.max(), 1) / Math.max(s.min(), 1)) + 1;
    double sLo = c.min() - s.max() - 1;
    double sHi = c.max() - s.min() + 1;
    return new LatencyCheck(
        maxRatio,
        minShiftMicros / 1000,
        Math.exp(solve(s, c, true, lo, hi, 0)),
        Math.exp(solve(s, c, true, lo, hi, zFail)),
        Math.exp(solve(s, c, true, lo, hi, -zPass)),
        solve(s, c, false, sLo, sHi, 0) / 1000,
        solve(s, c, false, sLo, sHi, zFail) / 1000,
        solve(s, c, false, sLo, sHi, -zPass) / 1000,
        p,
        result);
  }

  /**
   * The tail check; {@code toleratedFactor} is 1 + {@code tailTolerance}. It tests two levels: the
   * configured {@code percentile} and the deeper {@link #deepPercentile}, each at half of {@code
   * alpha}; the deeper one only once stable has at least {@value #DEEP_MIN_ABOVE} requests above it
   * on average, so that its threshold is not stable's slowest request.
   */
  static TailCheck tail(
      AbstractHistogram stable,
      AbstractHistogram canary,
      double percentile,
      double toleratedFactor,
      double minShiftMicros,
      long failFloor,
      double alpha) {
    long n = stable.getTotalCount();
    long m = canary.getTotalCount();
    if (n == 0 || m == 0) {
      return new TailCheck(null, null, null, null, null, CheckResult.NO_DATA, null, null);
    }
    Buckets s = Buckets.of(stable);
    Buckets c = Buckets.of(canary);
    Level main = level(stable, s, c, percentile, toleratedFactor, minShiftMicros);
    double deepest = deepPercentile(percentile);
    Level deep =
        n * (100 - deepest) / 100 >= DEEP_MIN_ABOVE
            ? level(stable, s, c, deepest, toleratedFactor, minShiftMicros)
            : null;
    // Bonferroni over the two levels; an untested deep level counts as p = 1
    double p = Math.min(1, 2 * Math.min(main.p(), deep == null ? 1 : deep.p()));
    CheckResult result =
        n >= failFloor && m >= failFloor && p < alpha ? CheckResult.FAIL : CheckResult.UNDECIDED;
    TailCheck.Level deepLevel =
        deep == null
            ? null
            : new TailCheck.Level(
                deepest,
                deep.threshold() / 1000,
                deep.tolerated() / 1000,
                deep.stableShare(),
                deep.canaryShare(),
                deep.p());
    return new TailCheck(
        main.threshold() / 1000,
        main.tolerated() / 1000,
        main.stableShare(),
        main.canaryShare(),
        p,
        result,
        main.p(),
        deepLevel);
  }

  /**
   * The deeper tail level tested beside {@code percentile}: ten times further out, e.g. 99.9 for
   * 99. A canary whose slowest 2% are very slow is plain there (2% above a threshold that only 0.1%
   * of stable exceeds), while at the 99th percentile it differs by one point only.
   */
  static double deepPercentile(double percentile) {
    return 100 - (100 - percentile) / 10;
  }

  /** Stable requests expected above the deeper level before it is tested. */
  static final double DEEP_MIN_ABOVE = 3;

  private record Level(
      double threshold, double tolerated, double stableShare, double canaryShare, double p) {}

  private static Level level(
      AbstractHistogram stable,
      Buckets s,
      Buckets c,
      double percentile,
      double toleratedFactor,
      double minShiftMicros) {
    long n = s.total;
    long m = c.total;
    double threshold = stable.highestEquivalentValue(stable.getValueAtPercentile(percentile));
    double tolerated = Math.max(threshold * toleratedFactor, threshold + minShiftMicros);
    long ks = s.above(threshold);
    long kc = c.above(tolerated);
    double ps = (double) ks / n;
    double pc = (double) kc / m;
    double pooled = (double) (ks + kc) / (n + m);
    // a floor of half an event keeps the test defined when neither side has a tail
    pooled = Math.max(pooled, 0.5 / (n + m));
    double variance = pooled * (1 - pooled) * (1.0 / n + 1.0 / m);
    double z = (pc - ps) / Math.sqrt(variance);
    double p = Statistics.alwaysValidPValue(z, TAU_TAIL * TAU_TAIL / variance);
    return new Level(threshold, tolerated, ps, pc, p);
  }

  /** r = τ²/var(U/mn) under the null, without the (small) tie correction. */
  private static double information(long n0, long n1) {
    double v = (n0 + n1 + 1.0) / (12.0 * n0 * n1);
    return TAU_AUC * TAU_AUC / v;
  }

  private static double z(Buckets s, Buckets c, DoubleUnaryOperator transform) {
    return HistogramMannWhitney.greater(s, c, transform).z();
  }

  private static DoubleUnaryOperator ratio(double rho) {
    return v -> v / rho;
  }

  private static DoubleUnaryOperator shift(double delta) {
    return v -> v - delta;
  }

  /**
   * The parameter (log ratio, or shift in microseconds) at which z falls to {@code target}; z does
   * not increase with it. Clamped to [lo, hi].
   */
  private static double solve(
      Buckets s, Buckets c, boolean logRatio, double lo, double hi, double target) {
    for (int i = 0; i < 30; i++) {
      double mid = (lo + hi) / 2;
      double z = z(s, c, logRatio ? ratio(Math.exp(mid)) : shift(mid));
      if (z > target) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }
}
