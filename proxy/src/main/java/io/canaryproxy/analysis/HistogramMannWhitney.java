package io.canaryproxy.analysis;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.AbstractHistogram;
import org.HdrHistogram.HistogramIterationValue;

/**
 * Mann-Whitney U test computed directly on two HdrHistograms, without raw samples. All values that
 * fall into the same histogram bucket (reported as the bucket's highest equivalent value) are one
 * tie group, across both histograms; a tie group shares its midrank. The p-value uses the normal
 * approximation with the tie-corrected variance and no continuity correction. Cost: one pass over
 * the recorded buckets of each histogram.
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
    List<long[]> c = buckets(control);
    List<long[]> t = buckets(treatment);
    long n0 = control.getTotalCount();
    long n1 = treatment.getTotalCount();
    if (n0 == 0 || n1 == 0) {
      return new Result(0, 0, 1.0);
    }
    double rankSumTreatment = 0;
    double tieTerm = 0; // Σ (g³ - g) over tie groups
    long ranked = 0;
    int i = 0;
    int j = 0;
    while (i < c.size() || j < t.size()) {
      long value =
          Math.min(
              i < c.size() ? c.get(i)[0] : Long.MAX_VALUE,
              j < t.size() ? t.get(j)[0] : Long.MAX_VALUE);
      long inControl = 0;
      long inTreatment = 0;
      if (i < c.size() && c.get(i)[0] == value) {
        inControl = c.get(i++)[1];
      }
      if (j < t.size() && t.get(j)[0] == value) {
        inTreatment = t.get(j++)[1];
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

  /** Non-empty buckets as {value, count} pairs, ascending by value. */
  private static List<long[]> buckets(AbstractHistogram histogram) {
    List<long[]> out = new ArrayList<>();
    for (HistogramIterationValue v : histogram.recordedValues()) {
      long value = histogram.highestEquivalentValue(v.getValueIteratedTo());
      long count = v.getCountAtValueIteratedTo();
      if (!out.isEmpty() && out.get(out.size() - 1)[0] == value) {
        out.get(out.size() - 1)[1] += count;
      } else {
        out.add(new long[] {value, count});
      }
    }
    return out;
  }
}
