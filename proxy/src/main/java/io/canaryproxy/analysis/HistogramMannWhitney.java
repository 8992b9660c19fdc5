package io.canaryproxy.analysis;

import java.util.Arrays;
import java.util.function.DoubleUnaryOperator;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Mann-Whitney U test computed directly on two HdrHistograms, without raw samples. All values that
 * fall into the same histogram bucket (reported as the bucket's highest equivalent value) are one
 * tie group, across both histograms; a tie group shares its midrank. The p-value uses the normal
 * approximation with the tie-corrected variance and no continuity correction. The treatment's
 * values may be transformed first by an increasing function (divided by a ratio, or minus a shift):
 * that is how {@link LatencyComparison} tests "canary slower by more than a tolerance" and inverts
 * the test into Hodges-Lehmann confidence intervals. Cost: one pass over the recorded buckets.
 */
public final class HistogramMannWhitney {
  private HistogramMannWhitney() {}

  /**
   * Result of one test.
   *
   * @param u U statistic of the treatment sample: the number of (control, treatment) pairs where
   *     the treatment value is larger, ties counting one half
   * @param z standardized U; positive when the treatment tends to be larger
   * @param pValue one-sided p-value of H1 "treatment values are stochastically larger"; 1 when
   *     either sample is empty or every value is tied
   */
  public record Result(double u, double z, double pValue) {}

  /**
   * Tests whether {@code treatment} (e.g. canary latency) is stochastically larger than {@code
   * control}.
   */
  public static Result greater(AbstractHistogram control, AbstractHistogram treatment) {
    return greater(Buckets.of(control), Buckets.of(treatment), DoubleUnaryOperator.identity());
  }

  /**
   * Tests whether {@code transform} applied to the treatment's values gives values stochastically
   * larger than the control's; {@code transform} must be non-decreasing.
   */
  static Result greater(Buckets control, Buckets treatment, DoubleUnaryOperator transform) {
    long n0 = control.total;
    long n1 = treatment.total;
    if (n0 == 0 || n1 == 0) {
      return new Result(0, 0, 1.0);
    }
    double rankSumTreatment = 0;
    double tieTerm = 0; // Σ (g³ - g) over tie groups
    long ranked = 0;
    int i = 0;
    int j = 0;
    int nc = control.values.length;
    int nt = treatment.values.length;
    double nextT = nt > 0 ? transform.applyAsDouble(treatment.values[0]) : 0;
    while (i < nc || j < nt) {
      double value =
          Math.min(
              i < nc ? control.values[i] : Double.POSITIVE_INFINITY,
              j < nt ? nextT : Double.POSITIVE_INFINITY);
      long inControl = 0;
      long inTreatment = 0;
      if (i < nc && control.values[i] == value) {
        inControl = control.counts[i++];
      }
      if (j < nt && nextT == value) {
        inTreatment = treatment.counts[j++];
        if (j < nt) {
          nextT = transform.applyAsDouble(treatment.values[j]);
        }
      }
      double group = inControl + inTreatment;
      double midrank = ranked + (group + 1) / 2.0;
      rankSumTreatment += inTreatment * midrank;
      tieTerm += group * group * group - group;
      ranked += inControl + inTreatment;
    }
    double u = rankSumTreatment - n1 * (n1 + 1.0) / 2.0;
    double n = n0 + n1;
    double mean = n0 * (double) n1 / 2.0;
    double variance = n0 * (double) n1 / 12.0 * ((n + 1) - tieTerm / (n * (n - 1)));
    if (variance <= 0) {
      return new Result(u, 0, 1.0);
    }
    double z = (u - mean) / Math.sqrt(variance);
    return new Result(u, z, Statistics.normalUpperTail(z));
  }

  /** A histogram's non-empty buckets, ascending by value, read once and tested many times. */
  static final class Buckets {
    final double[] values;
    final long[] counts;
    final long total;

    private Buckets(double[] values, long[] counts, long total) {
      this.values = values;
      this.counts = counts;
      this.total = total;
    }

    static Buckets of(AbstractHistogram histogram) {
      int size = 0;
      double[] values = new double[16];
      long[] counts = new long[16];
      for (HistogramIterationValue v : histogram.recordedValues()) {
        double value = histogram.highestEquivalentValue(v.getValueIteratedTo());
        long count = v.getCountAtValueIteratedTo();
        if (size > 0 && values[size - 1] == value) {
          counts[size - 1] += count;
          continue;
        }
        if (size == values.length) {
          values = Arrays.copyOf(values, size * 2);
          counts = Arrays.copyOf(counts, size * 2);
        }
        values[size] = value;
        counts[size++] = count;
      }
      long total = 0;
      for (int k = 0; k < size; k++) {
        total += counts[k];
      }
      return new Buckets(Arrays.copyOf(values, size), Arrays.copyOf(counts, size), total);
    }

    double min() {
      return values.length == 0 ? 0 : values[0];
    }

    double max() {
      return values.length == 0 ? 0 : values[values.length - 1];
    }

    /** Count of values strictly above {@code threshold}. */
    long above(double threshold) {
      long n = 0;
      for (int k = values.length - 1; k >= 0 && values[k] > threshold; k--) {
        n += counts[k];
      }
      return n;
    }
  }
}
