package io.canaryproxy.metrics;

import org.HdrHistogram.Histogram;

/**
 * What one variant did during one interval. The histograms are private copies, values in
 * microseconds; the counts come from separate counters, so under concurrent traffic they may differ
 * from the histogram counts by the few requests that completed while the interval was being closed.
 *
 * @param total first request byte to last response byte, microseconds
 * @param upstream request sent to the backend until its response head, microseconds
 * @param requests requests completed in the interval
 * @param errors of those, the ones that {@code Exchange.isError()} counts as errors
 */
public record VariantInterval(Histogram total, Histogram upstream, long requests, long errors) {
  /** The histogram of the given measure. */
  public Histogram histogram(Measure measure) {
    return measure == Measure.TOTAL ? total : upstream;
  }
}
