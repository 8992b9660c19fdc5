package io.canaryproxy.bench.report;

import java.util.ArrayList;
import java.util.List;
import org.HdrHistogram.Histogram;

/**
 * The percentile spectrum used for plots: points {@code [percentile, milliseconds]} evenly spaced
 * on the {@code 1/(1-p)} axis from 50% to 99.999%, ten per decade.
 */
public final class Spectrum {
  /** The right end of the plot: 99.999%, where 1/(1-p) = 100000. */
  public static final double MAX_X = 5;

  private Spectrum() {}

  /** The spectrum of a microsecond histogram; empty when the histogram is. */
  public static List<double[]> of(Histogram us) {
    List<double[]> points = new ArrayList<>();
    if (us.getTotalCount() == 0) {
      return points;
    }
    double start = Math.log10(2);
    for (int i = 0; ; i++) {
      double x = Math.min(MAX_X, start + i * 0.1);
      double percentile = 100 * (1 - Math.pow(10, -x));
      points.add(new double[] {round(percentile), us.getValueAtPercentile(percentile) / 1000.0});
      if (x >= MAX_X) {
        return points;
      }
    }
  }

  /** The plot's x coordinate of a percentile: log10(1/(1-p)). */
  public static double x(double percentile) {
    double tail = Math.max(1e-7, 1 - percentile / 100);
    return Math.log10(1 / tail);
  }

  static double round(double v) {
    return Math.round(v * 1e4) / 1e4;
  }
}
