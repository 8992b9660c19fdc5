package io.canaryproxy.metrics;

import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.util.TimeUtils;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.Exemplars;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One Prometheus histogram of durations with fixed buckets, one series per {@code variant} value,
 * exported as Micrometer exports a {@code Timer} with service-level-objective buckets: {@code
 * NAME_bucket{le}}, {@code NAME_count} and {@code NAME_sum} in seconds, cumulative since start, and
 * the gauge {@code NAME_max}, the largest duration recorded in the last two to three {@code
 * maxRotation} periods (Micrometer's decaying {@code TimeWindowMax}, ring of 3).
 *
 * <p>Why not a Micrometer timer: recording one costs two {@code LongAdder} updates, a
 * compare-and-set loop over three decaying maxima, an atomic bucket increment and two clock reads.
 * Here each recording thread (an event loop) owns its own cells and writes them with plain stores,
 * so a request pays no atomic instruction and reads no clock (the caller passes the time it already
 * has); a scrape sums the threads' cells. Threads beyond {@link ThreadStripe#MAX} share one set of
 * cells under a lock.
 */
final class DurationHistogram implements MultiCollector {
  /** Micrometer's ring of decaying maxima ({@code DistributionStatisticConfig.DEFAULT}). */
  private static final int RING = 3;

  private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

  /** Longs before and after a thread's cells, so two threads' cells never share a cache line. */
  private static final int PAD = 8;

  /** A max slot's epoch while the writer replaces it. */
  private static final long REPLACING = Long.MIN_VALUE;

  private final String name;
  private final String help;
  private final long[] boundsNanos;
  private final double[] boundsSeconds; // with +Inf last
  private final long rotationNanos;
  private final Clock clock;

  // Cell layout: bucket counts (one per bound, then +Inf), the sum, then RING (epoch, max) pairs.
  private final int sumCell;
  private final int maxCells;
  private final int cellCount;

  private volatile Series[] series = new Series[0];

  /**
   * @param name the exported name, e.g. {@code canary_proxy_request_duration_seconds}
   * @param help the {@code # HELP} text
   * @param buckets the upper bounds, ascending
   * @param maxRotation how often the decaying max rotates (Micrometer: the registry's step)
   * @param clock {@link Clock#SYSTEM} outside tests: its monotonic time is the clock of the {@code
   *     now} passed to {@link Series#record}, its wall time dates a series' creation
   */
  DurationHistogram(
      String name, String help, Duration[] buckets, Duration maxRotation, Clock clock) {
    this.name = name;
    this.help = help;
    this.boundsNanos = new long[buckets.length];
    this.boundsSeconds = new double[buckets.length + 1];
    for (int i = 0; i < buckets.length; i++) {
      boundsNanos[i] = buckets[i].toNanos();
      if (i > 0 && boundsNanos[i] <= boundsNanos[i - 1]) {
        throw new IllegalArgumentException(
            "buckets: " + Arrays.toString(buckets) + " (expected: ascending)");
      }
      boundsSeconds[i] = TimeUtils.nanosToUnit(boundsNanos[i], TimeUnit.SECONDS);
    }
    boundsSeconds[buckets.length] = Double.POSITIVE_INFINITY;
    this.rotationNanos = maxRotation.toNanos();
    this.clock = clock;
    this.sumCell = PAD + buckets.length + 1;
    this.maxCells = sumCell + 1;
    this.cellCount = maxCells + 2 * RING + PAD;
  }

  /**
   * The series whose {@code variant} label is {@code label}, registered now with zero counts if it
   * is new (then exported from the next scrape on).
   */
  synchronized Series series(String label) {
    for (Series s : series) {
      if (s.label.equals(label)) {
        return s;
      }
    }
    Series s = new Series(label);
    Series[] more = Arrays.copyOf(series, series.length + 1);
    more[series.length] = s;
    series = more;
    return s;
  }

  @Override
  public List<String> getPrometheusNames() {
    return List.of(name, name + "_max");
  }

  @Override
  public MetricSnapshots collect() {
    long epoch = Math.floorDiv(clock.monotonicTime(), rotationNanos);
    List<HistogramDataPointSnapshot> points = new ArrayList<>();
    List<GaugeDataPointSnapshot> maxima = new ArrayList<>();
    for (Series s : series) {
      s.collect(epoch, points, maxima);
    }
    return MetricSnapshots.of(
        new HistogramSnapshot(false, new MetricMetadata(name, help, null), points),
        new GaugeSnapshot(new MetricMetadata(name + "_max", help, null), maxima));
  }

  /** One labelled series; {@link #record} from any thread. */
  final class Series {
    private final String label;
    private final Labels labels;
    private final long createdMillis = clock.wallTime();

    /** Cells by stripe; replaced (never changed in place) under the series' lock. */
    private volatile long[][] stripes = new long[0][];

    private Series(String label) {
      this.label = label;
      this.labels = Labels.of(MetricNames.TAG_VARIANT, label);
    }

    /**
     * Records {@code nanos} (not negative) at {@code nowNanos} (a reading of the clock's monotonic
     * time: when the request ended), from the thread whose {@link ThreadStripe#current()} is {@code
     * stripe}.
     */
    void record(int stripe, long nanos, long nowNanos) {
      long[] c = cells(stripe);
      if (stripe == ThreadStripe.SHARED) {
        synchronized (c) {
          add(c, nanos, nowNanos);
        }
      } else {
        add(c, nanos, nowNanos);
      }
    }

    private long[] cells(int stripe) {
      long[][] all = stripes;
      long[] c;
      if (stripe < all.length && (c = all[stripe]) != null) {
        return c;
      }
      return newCells(stripe);
    }

    private synchronized long[] newCells(int stripe) {
      long[][] all = stripes;
      if (stripe < all.length && all[stripe] != null) {
        return all[stripe];
      }
      long[] c = new long[cellCount];
      for (int r = 0; r < RING; r++) {
        c[maxCells + 2 * r] = REPLACING;
      }
      long[][] more = Arrays.copyOf(all, Math.max(all.length, stripe + 1));
      more[stripe] = c;
      stripes = more; // publishes the new cells
      return c;
    }

    /** One writer at a time per cells: plain reads of its own values, opaque or release stores. */
    private void add(long[] c, long nanos, long nowNanos) {
      long[] bounds = boundsNanos;
      int b = 0;
      while (b < bounds.length && nanos > bounds[b]) {
        b++; // Micrometer's buckets hold values <= their bound
      }
      LONGS.setOpaque(c, PAD + b, c[PAD + b] + 1);
      LONGS.setOpaque(c, sumCell, c[sumCell] + nanos);
      long epoch = Math.floorDiv(nowNanos, rotationNanos);
      int slot = maxCells + 2 * (int) Math.floorMod(epoch, (long) RING);
      if (c[slot] == epoch) {
        if (nanos > c[slot + 1]) {
          LONGS.setOpaque(c, slot + 1, nanos);
        }
      } else {
        // A reader that sees the new max also sees that the slot's epoch changed (see collect).
        LONGS.setOpaque(c, slot, REPLACING);
        LONGS.setRelease(c, slot + 1, nanos);
        LONGS.setRelease(c, slot, epoch);
      }
    }

    private void collect(
        long epoch, List<HistogramDataPointSnapshot> points, List<GaugeDataPointSnapshot> maxima) {
      long[] counts = new long[boundsNanos.length + 1];
      long sum = 0;
      long max = 0;
      for (long[] c : stripes) {
        if (c == null) {
          continue;
        }
        for (int b = 0; b < counts.length; b++) {
          counts[b] += (long) LONGS.getOpaque(c, PAD + b);
        }
        sum += (long) LONGS.getOpaque(c, sumCell);
        for (int r = 0; r < RING; r++) {
          int slot = maxCells + 2 * r;
          long before = (long) LONGS.getAcquire(c, slot);
          long value = (long) LONGS.getAcquire(c, slot + 1);
          long after = (long) LONGS.getAcquire(c, slot);
          // The slot holds the max of one rotation period: Micrometer's max covers the current
          // period and the two before it (and whatever was recorded since the clock was read). A
          // slot being replaced holds the new period's first value, which the next scrape shows.
          if (before == after && before != REPLACING && before >= epoch - 2) {
            max = Math.max(max, value);
          }
        }
      }
      points.add(
          new HistogramDataPointSnapshot(
              ClassicHistogramBuckets.of(boundsSeconds, counts),
              TimeUtils.nanosToUnit((double) sum, TimeUnit.SECONDS),
              labels,
              Exemplars.EMPTY,
              createdMillis));
      maxima.add(
          new GaugeDataPointSnapshot(
              TimeUtils.nanosToUnit((double) max, TimeUnit.SECONDS), labels, null));
    }
  }
}
