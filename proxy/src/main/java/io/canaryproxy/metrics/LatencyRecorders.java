package io.canaryproxy.metrics;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Variant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * HdrHistogram latency per (variant, measure), read in interval snapshots. Event-loop threads
 * record through {@link #onExchangeComplete} or {@link #record} without allocating or locking; one
 * thread (see {@link MetricsScheduler}) closes intervals with {@link #rollInterval}, which keeps
 * the last {@code metrics.window} intervals and a cumulative histogram since start. Values are
 * microseconds; values above {@code metrics.highestMicros} are clamped to it.
 *
 * <p>Each recording thread (see {@link ThreadStripe}) records into histograms and counters of its
 * own, created when it first records, and an interval is the sum of the threads' intervals. A
 * request enters the thread's {@link WriterReaderPhaser} once for both measures and both counters,
 * as an HdrHistogram {@code SingleWriterRecorder} does for one value: two atomic instructions on a
 * line no other thread writes, where a multi-writer {@code Recorder} per measure and a {@code
 * LongAdder} per counter cost about a dozen on lines every event loop writes. The threads beyond
 * {@link ThreadStripe#MAX} share one stripe and take its lock to record.
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
   * By {@link ThreadStripe}, the recording thread's histograms and counters
   * [variant.ordinal()][measure.ordinal()] (null until the thread first records); replaced, never
   * changed in place, under "stripeLock".
   */
  private volatile Stripe[] stripes = new Stripe[0];

  private final Object stripeLock = new Object();

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
    for (int v = 0; v < nv; v++) {
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
    int s = ThreadStripe.current();
    Stripe stripe = stripe(s);
    if (s == ThreadStripe.SHARED) {
      synchronized (stripe) {
        stripe.record(vi, totalMicros, upstreamMicros, error);
      }
    } else {
      stripe.record(vi, totalMicros, upstreamMicros, error);
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
      stripe = new Stripe();
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
    List<Cells> closed = new ArrayList<>();
    for (Stripe s : stripes) {
      if (s != null) {
        closed.add(s.closeInterval());
      }
    }
    for (Variant variant : VARIANTS) {
      int v = variant.ordinal();
      Histogram[] copies = new Histogram[MEASURES.length];
      for (int m = 0; m < MEASURES.length; m++) {
        // The window keeps each copy for window() intervals, long enough to be promoted, so it is
        // packed: its memory follows the populated buckets (a few hundred bytes to a few KB for an
        // interval of latencies), where a full one is the whole counts array (136 KiB at the
        // defaults) and made the old generation fill and be collected in full every few minutes.
        Histogram copy = new PackedHistogram(lowest, highest, digits);
        for (Cells c : closed) {
          Histogram interval = c.histograms[v][m];
          cumulative[v][m].add(interval);
          copy.add(interval);
        }
        copy.setStartTimeStamp(start);
        copy.setEndTimeStamp(end);
        copies[m] = copy;
      }
      long n = 0;
      long e = 0;
      for (Cells c : closed) {
        n += c.requests[v];
        e += c.errors[v];
      }
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

  /** One interval's histograms [variant][measure] and counters [variant] of one stripe. */
  private final class Cells {
    final Histogram[][] histograms = new Histogram[VARIANTS.length][MEASURES.length];
    final long[] requests = new long[VARIANTS.length];
    final long[] errors = new long[VARIANTS.length];

    Cells() {
      for (Histogram[] byMeasure : histograms) {
        for (int m = 0; m < byMeasure.length; m++) {
          byMeasure[m] = newHistogram();
        }
      }
    }

    void reset() {
      for (Histogram[] byMeasure : histograms) {
        for (Histogram h : byMeasure) {
          h.reset();
        }
      }
      Arrays.fill(requests, 0);
      Arrays.fill(errors, 0);
    }
  }

  /**
   * One thread's cells (or those of the threads beyond {@link ThreadStripe#MAX}, which record under
   * its lock): the active ones take records, the inactive ones hold the last closed interval.
   */
  private final class Stripe {
    private final WriterReaderPhaser phaser = new WriterReaderPhaser();
    private volatile Cells active = new Cells();
    private Cells inactive = new Cells(); // guarded by LatencyRecorders.this

    /** One writer at a time: the stripe's thread, or a thread holding the stripe's lock. */
    void record(int v, long totalMicros, long upstreamMicros, boolean error) {
      long phase = phaser.writerCriticalSectionEnter();
      try {
        Cells c = active;
        if (totalMicros >= 0) {
          c.histograms[v][Measure.TOTAL.ordinal()].recordValue(Math.min(totalMicros, highest));
        }
        if (upstreamMicros >= 0) {
          c.histograms[v][Measure.UPSTREAM.ordinal()].recordValue(
              Math.min(upstreamMicros, highest));
        }
        c.requests[v]++;
        if (error) {
          c.errors[v]++;
        }
      } finally {
        phaser.writerCriticalSectionExit(phase);
      }
    }

    /**
     * Swaps in empty cells and returns those that held the interval, once no writer is left in them
     * (what HdrHistogram's recorders do); they stay valid until the next call.
     */
    Cells closeInterval() {
      inactive.reset();
      phaser.readerLock();
      try {
        Cells closed = active;
        active = inactive;
        inactive = closed;
        phaser.flipPhase();
        return closed;
      } finally {
        phaser.readerUnlock();
      }
    }
  }
}
