package io.canaryproxy.bench.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * Writes the {@code --json} file. The contract fields are {@code requestedRate}, {@code
 * achievedRate}, {@code requests}, {@code errors}, and {@code corrected} / {@code uncorrected}
 * objects with {@code p50}, {@code p90}, {@code p99}, {@code p999} and {@code max} in milliseconds;
 * everything else is documented in bench/README.md.
 */
public final class JsonReport {
  private static final ObjectMapper MAPPER =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private JsonReport() {}

  /** Writes {@code result} to {@code file}. */
  public static void write(BenchResult result, Path file) throws IOException {
    MAPPER.writeValue(file.toFile(), tree(result));
  }

  /** The JSON tree as ordered maps and lists. */
  public static Map<String, Object> tree(BenchResult r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("tool", "canary-bench");
    out.put("url", r.url());
    out.put("mode", r.mode());
    out.put("requestedRate", r.requestedRate());
    out.put("achievedRate", round(r.achievedRate()));
    out.put("durationSeconds", r.durationSeconds());
    out.put("warmupSeconds", r.warmupSeconds());
    out.put("connections", r.connections());
    out.put("threads", r.threads());
    out.put("transport", r.transport());
    out.put("requests", r.requests());
    out.put("responses", r.responses());
    out.put("errors", r.errors());
    out.put("errorsByType", r.errorsByType());
    out.put("statusCodes", r.statusCodes());
    out.put("corrected", latency(r.corrected(), true));
    out.put("uncorrected", latency(r.uncorrected(), true));
    List<Map<String, Object>> perSecond = new ArrayList<>();
    for (BenchResult.Interval i : r.perSecond()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("second", i.second());
      m.put("lengthSeconds", round(i.lengthSeconds()));
      m.put("requests", i.requests());
      m.put("errors", i.errors());
      m.put("correctedP99", round(i.correctedP99Ms()));
      perSecond.add(m);
    }
    out.put("perSecond", perSecond);
    Map<String, Object> variants = new LinkedHashMap<>();
    r.variants()
        .forEach(
            (name, v) -> {
              Map<String, Object> m = new LinkedHashMap<>();
              m.put("requests", v.requests());
              m.put("errors", v.errors());
              m.put("corrected", latency(v.corrected(), false));
              variants.put(name, m);
            });
    out.put("variants", variants);
    out.put("rateWarning", r.rateWarning());
    return out;
  }

  private static Map<String, Object> latency(Histogram h, boolean withSpectrum) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("p50", round(BenchResult.ms(h, 50)));
    m.put("p75", round(BenchResult.ms(h, 75)));
    m.put("p90", round(BenchResult.ms(h, 90)));
    m.put("p99", round(BenchResult.ms(h, 99)));
    m.put("p999", round(BenchResult.ms(h, 99.9)));
    m.put("p9999", round(BenchResult.ms(h, 99.99)));
    m.put("p99999", round(BenchResult.ms(h, 99.999)));
    m.put("max", round(BenchResult.ms(h, 100)));
    m.put("mean", round(h.getTotalCount() == 0 ? 0 : h.getMean() / 1000.0));
    m.put("count", h.getTotalCount());
    if (withSpectrum) {
      m.put("spectrum", Spectrum.of(h));
    }
    return m;
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }
}
