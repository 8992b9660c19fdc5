package io.canaryproxy.bench.load;

import io.canaryproxy.bench.report.BenchResult;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * Thread-safe sink for measured requests, written from every event loop. Latencies go into
 * HdrHistogram {@link Recorder}s in microseconds (1 us .. 2 h, 3 significant digits): corrected
 * from the intended send time, uncorrected from the actual send time.
 */
final class Recording {
  static final long HIGHEST_US = 2L * 3600 * 1_000_000;

  /**
   * Distinct {@code x-canary-variant} values tracked; further values are counted under {@code
   * other}.
   */
  static final int MAX_VARIANTS = 16;

  final Recorder corrected;
  final Recorder uncorrected;
  final LongAdder requests = new LongAdder();
  final LongAdder responses = new LongAdder();
  final LongAdder errors = new LongAdder();
  private final Map<ErrorType, LongAdder> byType = new EnumMap<>(ErrorType.class);
  private final ConcurrentHashMap<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Variant> variants = new ConcurrentHashMap<>();

  Recording() {
    this(new Recorder(1, HIGHEST_US, 3), new Recorder(1, HIGHEST_US, 3));
  }

  /** Records into the given recorders (tests pass recorders that act on an interval swap). */
  Recording(Recorder corrected, Recorder uncorrected) {
    this.corrected = corrected;
    this.uncorrected = uncorrected;
    for (ErrorType t : ErrorType.values()) {
      byType.put(t, new LongAdder());
    }
  }

  /** A complete response; times are {@link System#nanoTime()} values. */
  void response(long intendedNanos, long sentNanos, long doneNanos, int status, String variant) {
    long correctedUs = clamp((doneNanos - intendedNanos) / 1000);
    corrected.recordValue(correctedUs);
    uncorrected.recordValue(clamp((doneNanos - sentNanos) / 1000));
    statuses.computeIfAbsent(status, s -> new LongAdder()).increment();
    ErrorType error = ErrorType.ofStatus(status);
    if (error != null) {
      byType.get(error).increment();
      errors.increment();
    }
    if (variant != null) {
      String key =
          variants.size() >= MAX_VARIANTS && !variants.containsKey(variant) ? "other" : variant;
      Variant v = variants.computeIfAbsent(key, k -> new Variant());
      v.corrected.recordValue(correctedUs);
      v.requests.increment();
      if (error != null) {
        v.errors.increment();
      }
    }
    responses.increment();
    requests.increment();
  }

  /** A request that ended without a complete response. */
  void failure(ErrorType type) {
    byType.get(type).increment();
    errors.increment();
    requests.increment();
  }

  Map<String, Long> errorsByType() {
    Map<String, Long> out = new LinkedHashMap<>();
    byType.forEach((t, n) -> out.put(t.key(), n.sum()));
    return out;
  }

  Map<String, Long> statusCodes() {
    Map<String, Long> out = new TreeMap<>();
    statuses.forEach((s, n) -> out.put(Integer.toString(s), n.sum()));
    return out;
  }

  Map<String, BenchResult.VariantResult> variants() {
    Map<String, BenchResult.VariantResult> out = new TreeMap<>();
    variants.forEach(
        (name, v) -> {
          Histogram h = v.corrected.getIntervalHistogram();
          out.put(name, new BenchResult.VariantResult(v.requests.sum(), v.errors.sum(), h));
        });
    return out;
  }

  private static long clamp(long us) {
    return Math.max(1, Math.min(HIGHEST_US, us));
  }

  private static final class Variant {
    final Recorder corrected = new Recorder(1, HIGHEST_US, 3);
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
  }
}
