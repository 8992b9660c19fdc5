package io.canaryproxy.analysis;

/**
 * The few statistics the judge needs, in plain Java: the standard normal distribution, the
 * one-sided two-proportion z-test, the excess-over-tolerance test on rates, and the always-valid
 * (mixture sequential probability ratio) p-value that lets the judge look at accumulating data as
 * often as it likes. No state; every method is pure.
 */
public final class Statistics {
  private Statistics() {}

  /**
   * Complementary error function {@code erfc(x)} for any finite {@code x}, with a fractional
   * (relative) error below 1.2e-7 everywhere. It uses the Chebyshev-fitted form {@code t·exp(-x² +
   * P(t))}, {@code t = 1/(1 + |x|/2)}, where {@code P} is a degree-9 polynomial (Press, Teukolsky,
   * Vetterling and Flannery, Numerical Recipes in C, 2nd ed., section 6.2, "erfcc"). Relative
   * accuracy matters here because tiny p-values are compared against significance levels.
   */
  public static double erfc(double x) {
    double z = Math.abs(x);
    double t = 1.0 / (1.0 + 0.5 * z);
    // Horner evaluation of the fitted polynomial in t, highest degree first.
    double poly = 0.17087277;
    poly = -0.82215223 + t * poly;
    poly = 1.48851587 + t * poly;
    poly = -1.13520398 + t * poly;
    poly = 0.27886807 + t * poly;
    poly = -0.18628806 + t * poly;
    poly = 0.09678418 + t * poly;
    poly = 0.37409196 + t * poly;
    poly = 1.00002368 + t * poly;
    poly = -1.26551223 + t * poly;
    double value = t * Math.exp(-z * z + poly);
    return x >= 0 ? value : 2.0 - value;
  }

  /**
   * Standard normal cumulative distribution function Φ(z) = erfc(-z/√2)/2; relative error below
   * 1.2e-7.
   */
  public static double normalCdf(double z) {
    if (Double.isNaN(z)) {
      return Double.NaN;
    }
    return 0.5 * erfc(-z / Math.sqrt(2.0));
  }

  /**
   * Upper tail 1 - Φ(z), computed without cancellation so that small p-values keep their precision.
   */
  public static double normalUpperTail(double z) {
    if (Double.isNaN(z)) {
      return Double.NaN;
    }
    return 0.5 * erfc(z / Math.sqrt(2.0));
  }

  /**
   * One-sided pooled two-proportion z-test of H1 "the treatment rate is higher than the control
   * rate".
   *
   * @return the p-value in [0, 1]; 1 when the test has no power (an empty side, or a pooled rate of
   *     0 or 1)
   */
  public static double twoProportionUpperPValue(
      long controlEvents, long controlTrials, long treatmentEvents, long treatmentTrials) {
    if (controlTrials <= 0 || treatmentTrials <= 0) {
      return 1.0;
    }
    double p0 = (double) controlEvents / controlTrials;
    double p1 = (double) treatmentEvents / treatmentTrials;
    double pooled = (double) (controlEvents + treatmentEvents) / (controlTrials + treatmentTrials);
    double se = Math.sqrt(pooled * (1 - pooled) * (1.0 / controlTrials + 1.0 / treatmentTrials));
    if (se == 0) {
      return 1.0;
    }
    return normalUpperTail((p1 - p0) / se);
  }

  /**
   * Upper quantile z with {@code 1 - Φ(z) = p}, for p in (0, 1), found by bisection on {@link
   * #normalUpperTail} (absolute error below 1e-9).
   */
  public static double normalUpperQuantile(double p) {
    if (!(p > 0 && p < 1)) {
      throw new IllegalArgumentException("p: " + p + " (expected: 0..1 exclusive)");
    }
    double lo = -40;
    double hi = 40;
    for (int i = 0; i < 80; i++) {
      double mid = (lo + hi) / 2;
      if (normalUpperTail(mid) > p) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return (lo + hi) / 2;
  }

  /**
   * Natural log of the normal-mixture likelihood ratio of a statistic that is approximately normal
   * with variance {@code v} and standardized value {@code z} under the null, the effect drawn from
   * N(0, τ²); {@code r = τ²/v} is the information ratio. Λ = (1+r)^(-1/2) · exp(r·z² / (2(1+r))).
   * By Ville's inequality, under the null Λ exceeds 1/α at any look with probability at most α,
   * however often it is looked at (Robbins' mixture; the mSPRT of Johari, Pekelis and Walsh).
   */
  public static double logMixtureRatio(double z, double r) {
    if (!(r > 0) || Double.isNaN(z)) {
      return 0;
    }
    return -0.5 * Math.log1p(r) + r * z * z / (2 * (1 + r));
  }

  /**
   * One-sided always-valid p-value: 1 when {@code z <= 0} (no evidence in the tested direction),
   * else min(1, 1/Λ) with Λ from {@link #logMixtureRatio}.
   */
  public static double alwaysValidPValue(double z, double r) {
    if (!(z > 0)) {
      return 1.0;
    }
    return Math.min(1.0, Math.exp(-logMixtureRatio(z, r)));
  }

  /**
   * One-sided always-valid p-value from a half-normal mixture (the effect drawn from N(0, τ²)
   * restricted to the tested direction): Λ₊ = 2Φ(z·√(r/(1+r)))·Λ, Λ from {@link #logMixtureRatio}.
   * Each likelihood ratio it mixes is a supermartingale under every effect on the other side of 0,
   * so by Ville's inequality it is valid for the one-sided null however often it is looked at; near
   * a decision (z ≈ 3) it is about half of {@link #alwaysValidPValue}, as no mixture weight is
   * spent on the direction that is not tested.
   */
  public static double oneSidedAlwaysValidPValue(double z, double r) {
    if (!(z > 0) || !(r > 0)) {
      return 1.0;
    }
    double log = logMixtureRatio(z, r) + Math.log(2 * normalCdf(z * Math.sqrt(r / (1 + r))));
    return Math.min(1.0, Math.exp(-log));
  }

  /**
   * The z at which {@link #oneSidedAlwaysValidPValue} reaches {@code alpha} for information ratio
   * {@code r}, found by bisection (absolute error below 1e-9); infinite when {@code r} is not
   * positive.
   */
  public static double oneSidedSequentialThreshold(double alpha, double r) {
    if (!(r > 0)) {
      return Double.POSITIVE_INFINITY;
    }
    double lo = 0;
    double hi = sequentialThreshold(alpha, r);
    for (int i = 0; i < 60; i++) {
      double mid = (lo + hi) / 2;
      if (oneSidedAlwaysValidPValue(mid, r) > alpha) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }

  /**
   * The z at which {@link #alwaysValidPValue} reaches {@code alpha} for information ratio {@code
   * r}: sqrt(2(1+r)/r · (ln(1/α) + ln(1+r)/2)). It shrinks slowly as data accumulate; a z above it
   * is a rejection at that look.
   */
  public static double sequentialThreshold(double alpha, double r) {
    if (!(r > 0)) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.sqrt(2 * (1 + r) / r * (Math.log(1 / alpha) + 0.5 * Math.log1p(r)));
  }

  /**
   * Test of "the rate exceeds the reference rate by more than {@code tolerance}" for {@code events}
   * of {@code trials} against {@code refEvents} of {@code refTrials}, or against a fixed reference
   * rate of 0 when {@code refTrials} is 0. The variance is taken at the boundary of the null (rate
   * = reference + tolerance), as a score test does, which keeps it positive when nothing failed.
   *
   * @return z, positive when the excess is larger than the tolerance, and the variance of the
   *     difference; z = 0 and variance 0 when {@code trials} is 0
   */
  public static RateExcess rateExcess(
      long events, long trials, long refEvents, long refTrials, double tolerance) {
    if (trials <= 0) {
      return new RateExcess(0, 0, 0);
    }
    double rate = (double) events / trials;
    double ref = refTrials > 0 ? (double) refEvents / refTrials : 0;
    // a floor of half an event keeps the variance honest when a side saw none
    double refFloor = refTrials > 0 ? Math.max(ref, 0.5 / refTrials) : 0;
    double bound = Math.min(Math.max(refFloor + tolerance, 0.5 / trials), 1 - 0.5 / trials);
    double variance =
        bound * (1 - bound) / trials
            + (refTrials > 0 ? refFloor * (1 - Math.min(refFloor, 1)) / refTrials : 0);
    double z = variance > 0 ? (rate - ref - tolerance) / Math.sqrt(variance) : 0;
    return new RateExcess(z, variance, rate - ref);
  }

  /**
   * @param z standardized excess over the tolerance
   * @param variance variance of the rate difference at the null's boundary
   * @param excess observed rate minus reference rate
   */
  public record RateExcess(double z, double variance, double excess) {}
}
