package io.canaryproxy.bench.report;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Everything one load run measured. Latency histograms hold microseconds; rates are requests per
 * second.
 *
 * @param requestedRate requests/s asked for, or null for closed-loop ({@code --rate max})
 * @param achievedRate {@code requests / durationSeconds}
 * @param requests measured requests that finished, with a response or with a transport error
 * @param responses measured requests that got a complete response (any status); the histograms
 *     count these
 * @param errors transport errors plus 4xx/5xx responses
 * @param rateWarning non-null when the generator did not hold the requested rate
 */
public record BenchResult(
    String url,
    String mode,
    Double requestedRate,
    double achievedRate,
    double durationSeconds,
    double warmupSeconds,
    int connections,
    int threads,
    String transport,
    long requests,
    long responses,
    long errors,
    Map<String, Long> errorsByType,
    Map<String, Long> statusCodes,
    Histogram corrected,
    Histogram uncorrected,
    List<Interval> perSecond,
    Map<String, VariantResult> variants,
    String rateWarning) {

  /** The percentiles printed and exported, as wrk2 prints them. */
  public static final double[] SPECTRUM = {50, 75, 90, 99, 99.9, 99.99, 99.999, 100};

  /** One reporting interval (about one second) of the measured window, by completion time. */
  public record Interval(
      int second, double lengthSeconds, long requests, long errors, double correctedP99Ms) {}

  /** Results for one value of the {@code x-canary-variant} response header. */
  public record VariantResult(long requests, long errors, Histogram corrected) {}

  /** A percentile of a microsecond histogram, in milliseconds. */
  public static double ms(Histogram h, double percentile) {
    if (h.getTotalCount() == 0) {
      return 0;
    }
    long us = percentile >= 100 ? h.getMaxValue() : h.getValueAtPercentile(percentile);
    return us / 1000.0;
  }
}
