package io.canaryproxy.analysis;

/**
 * The few statistics the judge needs, in plain Java: the standard normal distribution and the
 * one-sided two-proportion z-test. No state; every method is pure.
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
}
