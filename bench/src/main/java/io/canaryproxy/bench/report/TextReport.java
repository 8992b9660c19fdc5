package io.canaryproxy.bench.report;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * Prints the human summary: the wrk2-style percentile spectra, throughput, errors by type and
 * variants.
 */
public final class TextReport {
  private TextReport() {}

  /** Prints {@code r} to {@code out}. */
  public static void print(BenchResult r, PrintStream out) {
    String rate =
        r.requestedRate() == null ? "max (closed-loop)" : fmt("%.1f req/s", r.requestedRate());
    out.println(
        fmt(
            "canary-bench %s  rate %s, %d connections, %d event loops (%s), %.1fs measured after %.1fs warmup",
            r.url(),
            rate,
            r.connections(),
            r.threads(),
            r.transport(),
            r.durationSeconds(),
            r.warmupSeconds()));
    spectrum(out, "Latency distribution, corrected (from intended send time)", r.corrected());
    spectrum(out, "Latency distribution, uncorrected (from actual send time)", r.uncorrected());
    out.println(
        fmt(
            "  %d requests in %.2fs: achieved %.1f req/s%s",
            r.requests(),
            r.durationSeconds(),
            r.achievedRate(),
            r.requestedRate() == null ? "" : fmt(" of %.1f req/s requested", r.requestedRate())));
    out.println(
        "  Per second: "
            + r.perSecond().stream()
                .map(i -> Long.toString(i.requests()))
                .collect(Collectors.joining(" ")));
    String types =
        r.errorsByType().entrySet().stream()
            .map(e -> e.getKey() + " " + e.getValue())
            .collect(Collectors.joining(", "));
    out.println(fmt("  Errors: %d (%s)", r.errors(), types));
    out.println("  Status codes: " + r.statusCodes());
    for (Map.Entry<String, BenchResult.VariantResult> e : r.variants().entrySet()) {
      BenchResult.VariantResult v = e.getValue();
      out.println(
          fmt(
              "  Variant %-8s %d requests, %d errors, corrected p50 %.3fms p99 %.3fms max %.3fms",
              e.getKey(),
              v.requests(),
              v.errors(),
              BenchResult.ms(v.corrected(), 50),
              BenchResult.ms(v.corrected(), 99),
              BenchResult.ms(v.corrected(), 100)));
    }
    if (r.rateWarning() != null) {
      out.println("  WARNING: " + r.rateWarning());
    }
  }

  private static void spectrum(PrintStream out, String title, Histogram h) {
    out.println("  " + title);
    for (double p : BenchResult.SPECTRUM) {
      out.println(fmt("   %7.3f%% %10.3fms", p, BenchResult.ms(h, p)));
    }
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
