package io.canaryproxy.metrics;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Variant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.IntervalHistogramProvider;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.SingleWriterRecorder;
import org.HdrHistogram.ValueRecorder;

/**
 * HdrHistogram latency per (variant, measure), read in interval snapshots. Event-loop threads
 * record through {@link #onExchangeComplete} or {@link #record} without allocating or locking; one
 * thread (see {@link MetricsScheduler}) closes intervals with {@link #rollInterval}, which keeps
 * the last {@code metrics.window} intervals and a cumulative histogram since start. Values are
 * microseconds; values above {@code metrics.highestMicros} are clamped to it.
 *
 * <p>Each recording thread (see {@link ThreadStripe}) records into {@link SingleWriterRecorder}s of
 * its own, created when it first records, and an interval is the sum of the threads' intervals: a
 * multi-writer {@link Recorder} pays about five atomic instructions per value on cache lines that
 * every event loop writes, a single-writer one two on its own. The threads beyond {@link
 * ThreadStripe#MAX} share multi-writer recorders.
 */
public final class LatencyRecorders implements ProxyListener {
  private static final Variant[] VARIANTS = Variant.values();
  private static final Measure[] MEASURES = Measure.values();

  private final long lowest;
  private final long highest;
  private final int digits;
  private final int windowSize;
  private final LongSupplier clockMillis;

  /**
   * By {@link ThreadStripe}, the recording thread's recorders
   * [variant.ordinal()][measure.ordinal()] (null until the thread first records); replaced, never
   * changed in place, under "stripeLock".
   */
  private volatile Stripe[] stripes = new Stripe[0];

  private final Object stripeLock = new Object();
  private final LongAdder[] requests;
  private final LongAdder[] errors;

  // Guarded by "this": touched only when an interval is rolled or read.
  private final Histogram[][] cumulative;
  private final long[] cumulativeRequests;
  private final long[] cumulativeErrors;
  private final ArrayDeque<IntervalSnapshot> window;
  private long intervalStartMillis;

  /**
   * Recorders with the histogram range and window of {@code cfg}; the first interval starts now.
   */
  public LatencyRecorders(MetricsConfig cfg) {
    this(cfg, System::currentTimeMillis);
  }

  LatencyRecorders(MetricsConfig cfg, LongSupplier clockMillis) {
    validate(cfg);
    this.lowest = cfg.lowestMicros();
    this.highest = cfg.highestMicros();
    this.digits = cfg.significantDigits();
    this.windowSize = cfg.window();
    this.clockMillis = clockMillis;
    int nv = VARIANTS.length;
    int nm = MEASURES.length;
    cumulative = new Histogram[nv][nm];
    requests = new LongAdder[nv];
    errors = new LongAdder[nv];
    for (int v = 0; v < nv; v++) {
      requests[v] = new LongAdder();
      errors[v] = new LongAdder();
      for (int m = 0; m < nm; m++) {
        cumulative[v][m] = newHistogram();
      }
    }
    cumulativeRequests = new long[nv];
    cumulativeErrors = new long[nv];
    window = new ArrayDeque<>(windowSize);
    intervalStartMillis = clockMillis.getAsLong();
  }

  private static void validate(MetricsConfig cfg) {
    if (cfg.lowestMicros() < 1) {
      throw new IllegalArgumentException(
          "metrics.lowestMicros: " + cfg.lowestMicros() + " (expected: >= 1)");
    }
    if (cfg.highestMicros() < 2 * cfg.lowestMicros()) {
      throw new IllegalArgumentException(
          "metrics.highestMicros: "
              + cfg.highestMicros()
              + " (expected: >= 2 * metrics.lowestMicros)");
    }
    if (cfg.significantDigits() < 1 || cfg.significantDigits() > 5) {
      throw new IllegalArgumentException(
          "metrics.significantDigits: " + cfg.significantDigits() + " (expected: 1..5)");
    }
    if (cfg.window() < 1) {
      throw new IllegalArgumentException("metrics.window: " + cfg.window() + " (expected: >= 1)");
    }
  }

  /**
   * Records a completed exchange; a request that was never routed counts as {@link Variant#OTHER}.
   */
  @Override
  public void onExchangeComplete(Exchange exchange) {
    long total = exchange.totalNanos();
    long upstream = exchange.upstreamNanos();
    record(
        exchange.variant(),
        total < 0 ? -1 : TimeUnit.NANOSECONDS.toMicros(total),
        upstream < 0 ? -1 : TimeUnit.NANOSECONDS.toMicros(upstream),
        exchange.isError());
  }

  /**
   * Records one request without allocating. A negative latency means the stage was not reached and
   * is not recorded; the request and error counters always count.
   *
   * @param v the variant, {@code null} counts as {@link Variant#OTHER}
   * @param totalMicros total latency in microseconds, or negative
   * @param upstreamMicros upstream latency in microseconds, or negative
   * @param error whether the request counts as an error
   */
  public void record(Variant v, long totalMicros, long upstreamMicros, boolean error) {
    int vi = (v == null ? Variant.OTHER : v).ordinal();
    ValueRecorder[] r = stripe(ThreadStripe.current()).recorders[vi];
    if (totalMicros >= 0) {
      r[Measure.TOTAL.ordinal()].recordValue(Math.min(totalMicros, highest));
    }
    if (upstreamMicros >= 0) {
      r[Measure.UPSTREAM.ordinal()].recordValue(Math.min(upstreamMicros, highest));
    }
    requests[vi].increment();
    if (error) {
      errors[vi].increment();
    }
  }

  private Stripe stripe(int s) {
    Stripe[] all = stripes;
    Stripe stripe;
    if (s < all.length && (stripe = all[s]) != null) {
      return stripe;
    }
    synchronized (stripeLock) {
      all = stripes;
      if (s < all.length && all[s] != null) {
        return all[s];
      }
      stripe = new Stripe(s == ThreadStripe.SHARED);
      Stripe[] more = Arrays.copyOf(all, Math.max(all.length, s + 1));
      more[s] = stripe;
      stripes = more;
      return stripe;
    }
  }

  /**
   * Closes the current interval for every variant, appends it to the window (dropping the oldest
   * beyond {@code metrics.window}) and adds it to the cumulative histograms. The returned snapshot
   * owns copies ({@link PackedHistogram}s: equal in every value to a full {@link Histogram} of the
   * same range, smaller, slower to read by index).
   */
  public synchronized IntervalSnapshot rollInterval() {
    long end = clockMillis.getAsLong();
    long start = intervalStartMillis;
    Map<Variant, VariantInterval> byVariant = new EnumMap<>(Variant.class);
    for (Variant variant : VARIANTS) {
      int v = variant.ordinal();
      Histogram[] copies = new Histogram[MEASURES.length];
      for (int m = 0; m < MEASURES.length; m++) {
        // The window keeps each copy for window() intervals, long enough to be promoted, so it is
        // packed: its memory follows the populated buckets (a few hundred bytes to a few KB for an
        // interval of latencies), where a full one is the whole counts array (136 KiB at the
        // defaults) and made the old generation fill and be collected in full every few minutes.
        Histogram copy = new PackedHistogram(lowest, highest, digits);
        for (Stripe s : stripes) {
          if (s != null) {
            Histogram interval = s.intervalHistogram(v, m);
            cumulative[v][m].add(interval);
            copy.add(interval);
          }
        }
        copy.setStartTimeStamp(start);
        copy.setEndTimeStamp(end);
        copies[m] = copy;
      }
      long n = requests[v].sumThenReset();
      long e = errors[v].sumThenReset();
      cumulativeRequests[v] += n;
      cumulativeErrors[v] += e;
      byVariant.put(
          variant,
          new VariantInterval(
              copies[Measure.TOTAL.ordinal()], copies[Measure.UPSTREAM.ordinal()], n, e));
    }
    IntervalSnapshot snapshot = new IntervalSnapshot(start, end, byVariant);
    if (window.size() == windowSize) {
      window.removeFirst();
    }
    window.addLast(snapshot);
    intervalStartMillis = end;
    return snapshot;
  }

  /** The last {@code metrics.window} closed intervals, oldest first. */
  public synchronized List<IntervalSnapshot> window() {
    return List.copyOf(window);
  }

  /** The most recently closed interval, or {@code null} before the first roll. */
  public synchronized IntervalSnapshot lastInterval() {
    return window.peekLast();
  }

  /**
   * A copy of everything recorded for {@code v} and {@code m} in closed intervals since start, in
   * microseconds.
   */
  public synchronized Histogram cumulative(Variant v, Measure m) {
    return cumulative[v.ordinal()][m.ordinal()].copy();
  }

  /** Requests of {@code v} in closed intervals since start. */
  public synchronized long cumulativeRequests(Variant v) {
    return cumulativeRequests[v.ordinal()];
  }

  /** Errors of {@code v} in closed intervals since start. */
  public synchronized long cumulativeErrors(Variant v) {
    return cumulativeErrors[v.ordinal()];
  }

  /** The highest trackable value in microseconds: larger values are recorded as this. */
  public long highestMicros() {
    return highest;
  }

  private Histogram newHistogram() {
    return new Histogram(lowest, highest, digits);
  }

  /** One thread's recorders (or the shared ones) and the histograms they recycle. */
  private final class Stripe {
    /** [variant][measure]: each a SingleWriterRecorder, or a Recorder when shared. */
    final ValueRecorder[][] recorders = new ValueRecorder[VARIANTS.length][MEASURES.length];

    // Guarded by LatencyRecorders.this.
    private final Histogram[][] recycled = new Histogram[VARIANTS.length][MEASURES.length];

    Stripe(boolean shared) {
      for (ValueRecorder[] byMeasure : recorders) {
        for (int m = 0; m < byMeasure.length; m++) {
          byMeasure[m] =
              shared
                  ? new Recorder(lowest, highest, digits)
                  : new SingleWriterRecorder(lowest, highest, digits);
        }
      }
    }

    /** What was recorded since the last call, in a histogram that stays the stripe's. */
    @SuppressWarnings("unchecked")
    Histogram intervalHistogram(int v, int m) {
      Histogram h =
          ((IntervalHistogramProvider<Histogram>) recorders[v][m])
              .getIntervalHistogram(recycled[v][m]);
      recycled[v][m] = h;
      return h;
    }
  }
}
