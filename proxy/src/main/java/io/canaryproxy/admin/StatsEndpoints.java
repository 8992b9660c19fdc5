package io.canaryproxy.admin;

import io.canaryproxy.metrics.IntervalSnapshot;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.Measure;
import io.canaryproxy.metrics.VariantInterval;
import io.canaryproxy.routing.Variant;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * {@code GET /admin/stats} and {@code GET /admin/histograms}: read from {@link LatencyRecorders}.
 */
final class StatsEndpoints {
  /** Histogram values are microseconds; the log's max column is written in milliseconds. */
  private static final double MICROS_PER_MILLI = 1000.0;

  /** Where the distribution of the last interval is sampled, up to 1 in 100,000. */
  private static final double[] PLOT_PERCENTILES = {
    0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100
  };

  private final LatencyRecorders recorders;
  private final Supplier<Map<String, Object>> mirrorStats;

  StatsEndpoints(LatencyRecorders recorders, Supplier<Map<String, Object>> mirrorStats) {
    this.recorders = recorders;
    this.mirrorStats = mirrorStats;
  }

  /**
   * Per variant: requests, errors and latency percentiles (ms) since start, plus the same for the
   * last closed interval under {@code lastInterval} (with its {@code distribution}); then {@code
   * intervals}, the window's per-interval series; then {@code mirror} from the mirroring code.
   */
  AdminResponse stats(AdminRequest request) {
    IntervalSnapshot last = recorders.lastInterval();
    Map<String, Object> variants = new LinkedHashMap<>();
    for (Variant v : Variant.values()) {
      Map<String, Object> out =
          summary(
              recorders.cumulativeRequests(v),
              recorders.cumulativeErrors(v),
              recorders.cumulative(v, Measure.TOTAL));
      if (last != null) {
        VariantInterval vi = last.variant(v);
        Map<String, Object> interval = summary(vi.requests(), vi.errors(), vi.total());
        interval.put("startMillis", last.startMillis());
        interval.put("endMillis", last.endMillis());
        interval.put("distribution", distribution(vi.total()));
        out.put("lastInterval", interval);
      } else {
        out.put("lastInterval", null);
      }
      variants.put(v.label(), out);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("variants", variants);
    body.put("intervals", intervals(recorders.window()));
    Map<String, Object> mirror = mirrorStats.get();
    body.put("mirror", mirror == null ? Map.of() : mirror);
    return AdminResponse.json(200, body);
  }

  /**
   * The closed intervals of the window, oldest first: for each its start and end (epoch ms) and per
   * stable/canary variant requests, errors and p50/p90/p99 in ms; what the dashboard draws as
   * lines.
   */
  private static List<Map<String, Object>> intervals(List<IntervalSnapshot> window) {
    List<Map<String, Object>> out = new ArrayList<>(window.size());
    for (IntervalSnapshot s : window) {
      Map<String, Object> interval = new LinkedHashMap<>();
      interval.put("startMillis", s.startMillis());
      interval.put("endMillis", s.endMillis());
      for (Variant v : List.of(Variant.STABLE, Variant.CANARY)) {
        VariantInterval vi = s.variant(v);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requests", vi.requests());
        m.put("errors", vi.errors());
        m.put("p50", millis(vi.total().getValueAtPercentile(50)));
        m.put("p90", millis(vi.total().getValueAtPercentile(90)));
        m.put("p99", millis(vi.total().getValueAtPercentile(99)));
        interval.put(v.label(), m);
      }
      out.add(interval);
    }
    return out;
  }

  /**
   * The latency distribution as {@code [percentile, ms]} pairs at {@link #PLOT_PERCENTILES}, for a
   * percentile plot on a log axis of 1/(1-p) as HdrHistogram's own plotting tools draw it; empty
   * for an empty histogram.
   */
  private static List<double[]> distribution(Histogram totalMicros) {
    List<double[]> points = new ArrayList<>();
    if (totalMicros.getTotalCount() == 0) {
      return points;
    }
    for (double p : PLOT_PERCENTILES) {
      points.add(new double[] {p, millis(totalMicros.getValueAtPercentile(p))});
    }
    return points;
  }

  private static Map<String, Object> summary(long requests, long errors, Histogram totalMicros) {
    Map<String, Object> latency = new LinkedHashMap<>();
    latency.put("p50", millis(totalMicros.getValueAtPercentile(50)));
    latency.put("p90", millis(totalMicros.getValueAtPercentile(90)));
    latency.put("p99", millis(totalMicros.getValueAtPercentile(99)));
    latency.put("p999", millis(totalMicros.getValueAtPercentile(99.9)));
    latency.put("max", millis(totalMicros.getMaxValue()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("requests", requests);
    out.put("errors", errors);
    out.put("latencyMs", latency);
    return out;
  }

  private static double millis(long micros) {
    return micros / MICROS_PER_MILLI;
  }

  /**
   * The window of one variant as an HdrHistogram interval log; 400 for an unknown variant or
   * measure.
   */
  AdminResponse histograms(AdminRequest request) {
    Variant variant = parse(Variant.class, request.param("variant"), Variant::label);
    if (variant == null) {
      return AdminResponse.error(
          400,
          "variant: " + request.param("variant") + " (expected: stable | canary | other | shadow)");
    }
    String measureParam = request.param("measure");
    Measure measure =
        measureParam == null ? Measure.TOTAL : parse(Measure.class, measureParam, Measure::label);
    if (measure == null) {
      return AdminResponse.error(400, "measure: " + measureParam + " (expected: total | upstream)");
    }
    List<IntervalSnapshot> window = recorders.window();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (PrintStream ps = new PrintStream(bytes, false, StandardCharsets.UTF_8)) {
      HistogramLogWriter log = new HistogramLogWriter(ps);
      long base = window.isEmpty() ? System.currentTimeMillis() : window.get(0).startMillis();
      log.outputComment(
          "canary-proxy variant="
              + variant.label()
              + " measure="
              + measure.label()
              + " unit=microseconds");
      log.outputLogFormatVersion();
      log.outputStartTime(base);
      log.setBaseTime(base);
      log.outputBaseTime(base);
      log.outputLegend();
      for (IntervalSnapshot s : window) {
        Histogram h = s.variant(variant).histogram(measure);
        // Encoding leaves a buffer the size of the whole counts array (153 KiB at the defaults) in
        // the histogram it encodes: encode a transient copy, not the window's compact one, which
        // would keep that buffer for as long as the interval stays in the window.
        log.outputIntervalHistogram(
            (h.getStartTimeStamp() - base) / 1000.0,
            (h.getEndTimeStamp() - base) / 1000.0,
            h.copy(),
            MICROS_PER_MILLI);
      }
    }
    return new AdminResponse(200, AdminResponse.TEXT_TYPE, bytes.toByteArray(), Map.of());
  }

  private static <E extends Enum<E>> E parse(
      Class<E> type, String value, Function<E, String> label) {
    if (value == null) {
      return null;
    }
    String wanted = value.toLowerCase(Locale.ROOT);
    for (E e : type.getEnumConstants()) {
      if (label.apply(e).equals(wanted)) {
        return e;
      }
    }
    return null;
  }
}
