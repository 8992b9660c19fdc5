package io.canaryproxy.bench.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;

/**
 * A self-contained HTML page with an inline SVG percentile plot: x is the percentile on the {@code
 * 1/(1-p)} log axis (50% .. 99.999%), y the latency in ms; each run draws its corrected curve solid
 * and, when known, its uncorrected curve dashed. Runs come from a finished {@link BenchResult}, a
 * {@code --json} file or an {@code --hlog} file (corrected only).
 */
public final class HtmlReport {
  private static final String[] COLORS = {
    "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"
  };
  private static final int W = 900;
  private static final int H = 480;
  private static final int LEFT = 70;
  private static final int RIGHT = 20;
  private static final int TOP = 20;
  private static final int BOTTOM = 50;

  private HtmlReport() {}

  /** One run on the plot; {@code uncorrected} may be empty. */
  public record Series(String label, List<double[]> corrected, List<double[]> uncorrected) {}

  /** The series of a finished run. */
  public static Series of(String label, BenchResult r) {
    return new Series(label, Spectrum.of(r.corrected()), Spectrum.of(r.uncorrected()));
  }

  /** Reads a {@code --json} output file. */
  public static Series fromJson(Path file) throws IOException {
    JsonNode root = new ObjectMapper().readTree(file.toFile());
    if (!root.path("corrected").path("spectrum").isArray()) {
      throw new IOException(
          file + ": no corrected.spectrum (expected: a canary-bench --json file)");
    }
    return new Series(
        file.getFileName().toString(),
        points(root.path("corrected").path("spectrum")),
        points(root.path("uncorrected").path("spectrum")));
  }

  /** Reads a {@code --hlog} interval log (microsecond values) and sums every interval. */
  public static Series fromHlog(Path file) throws FileNotFoundException {
    Histogram total = new Histogram(3);
    HistogramLogReader reader = new HistogramLogReader(file.toFile());
    try {
      for (EncodableHistogram h = reader.nextIntervalHistogram();
          h != null;
          h = reader.nextIntervalHistogram()) {
        total.add((Histogram) h);
      }
    } finally {
      reader.close();
    }
    return new Series(file.getFileName().toString(), Spectrum.of(total), List.of());
  }

  /** Writes the page for {@code runs} to {@code file}. */
  public static void write(Path file, String title, List<Series> runs) throws IOException {
    Files.writeString(file, render(title, runs), StandardCharsets.UTF_8);
  }

  /** The whole page. */
  public static String render(String title, List<Series> runs) {
    double maxMs = 0.001;
    for (Series s : runs) {
      for (double[] p : s.corrected()) {
        maxMs = Math.max(maxMs, p[1]);
      }
      for (double[] p : s.uncorrected()) {
        maxMs = Math.max(maxMs, p[1]);
      }
    }
    maxMs = niceCeiling(maxMs);
    StringBuilder svg = new StringBuilder();
    svg.append(
        fmt(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" font-family=\"sans-serif\" font-size=\"12\">",
            W, H));
    svg.append(
        fmt(
            "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#fff\" stroke=\"#999\"/>",
            LEFT, TOP, W - LEFT - RIGHT, H - TOP - BOTTOM));
    String[] labels = {"50%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
    double[] percentiles = {50, 90, 99, 99.9, 99.99, 99.999};
    for (int i = 0; i < percentiles.length; i++) {
      double x = px(Spectrum.x(percentiles[i]));
      svg.append(
          fmt(
              "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#eee\"/>",
              x, TOP, x, H - BOTTOM));
      svg.append(
          fmt(
              "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>",
              x, H - BOTTOM + 16, labels[i]));
    }
    for (int i = 0; i <= 5; i++) {
      double ms = maxMs * i / 5;
      double y = py(ms, maxMs);
      svg.append(
          fmt(
              "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#eee\"/>",
              LEFT, y, W - RIGHT, y));
      svg.append(
          fmt(
              "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>",
              LEFT - 6, y + 4, trim(ms)));
    }
    svg.append(
        fmt(
            "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">percentile (log scale of 1/(1-p))</text>",
            (W + LEFT) / 2, H - 12));
    svg.append(
        fmt(
            "<text x=\"16\" y=\"%d\" transform=\"rotate(-90 16 %d)\" text-anchor=\"middle\">latency (ms)</text>",
            H / 2, H / 2));
    for (int i = 0; i < runs.size(); i++) {
      Series s = runs.get(i);
      String color = COLORS[i % COLORS.length];
      svg.append(polyline(s.corrected(), maxMs, color, "", escape(s.label()) + " corrected"));
      svg.append(
          polyline(
              s.uncorrected(),
              maxMs,
              color,
              " stroke-dasharray=\"6 4\"",
              escape(s.label()) + " uncorrected"));
    }
    svg.append("</svg>");

    StringBuilder html = new StringBuilder();
    html.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>")
        .append(escape(title))
        .append(
            "</title><style>body{font-family:sans-serif;margin:24px}table{border-collapse:collapse}")
        .append(
            "td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}</style></head><body>\n<h1>")
        .append(escape(title))
        .append(
            "</h1>\n<p>Solid: corrected for coordinated omission (timed from the intended send time). ")
        .append("Dashed: uncorrected (timed from the actual send).</p>\n")
        .append(svg)
        .append("\n<table><tr><th>run</th><th>curve</th>");
    for (String l : labels) {
      html.append("<th>").append(l).append("</th>");
    }
    html.append("</tr>\n");
    for (int i = 0; i < runs.size(); i++) {
      Series s = runs.get(i);
      row(html, s.label(), "corrected", s.corrected(), percentiles, COLORS[i % COLORS.length]);
      row(html, s.label(), "uncorrected", s.uncorrected(), percentiles, COLORS[i % COLORS.length]);
    }
    html.append("</table>\n</body></html>\n");
    return html.toString();
  }

  private static void row(
      StringBuilder html,
      String label,
      String curve,
      List<double[]> points,
      double[] percentiles,
      String color) {
    if (points.isEmpty()) {
      return;
    }
    html.append("<tr><td style=\"color:")
        .append(color)
        .append("\">")
        .append(escape(label))
        .append("</td><td>")
        .append(curve)
        .append("</td>");
    for (double p : percentiles) {
      html.append("<td>").append(fmt("%.3f", at(points, p))).append("</td>");
    }
    html.append("</tr>\n");
  }

  /** The value of the first point at or above {@code percentile}. */
  private static double at(List<double[]> points, double percentile) {
    for (double[] p : points) {
      if (p[0] >= percentile - 1e-6) {
        return p[1];
      }
    }
    return points.get(points.size() - 1)[1];
  }

  private static String polyline(
      List<double[]> points, double maxMs, String color, String extra, String title) {
    if (points.isEmpty()) {
      return "";
    }
    StringBuilder sb = new StringBuilder();
    sb.append("<polyline fill=\"none\" stroke=\"")
        .append(color)
        .append("\" stroke-width=\"2\"")
        .append(extra)
        .append(" points=\"");
    for (double[] p : points) {
      sb.append(fmt("%.1f,%.1f ", px(Spectrum.x(p[0])), py(p[1], maxMs)));
    }
    return sb.append("\"><title>").append(title).append("</title></polyline>").toString();
  }

  private static List<double[]> points(JsonNode array) {
    List<double[]> out = new ArrayList<>();
    for (JsonNode p : array) {
      out.add(new double[] {p.get(0).asDouble(), p.get(1).asDouble()});
    }
    return out;
  }

  private static double px(double x) {
    double x0 = Math.log10(2);
    return LEFT + (x - x0) / (Spectrum.MAX_X - x0) * (W - LEFT - RIGHT);
  }

  private static double py(double ms, double maxMs) {
    return H - BOTTOM - ms / maxMs * (H - TOP - BOTTOM);
  }

  private static double niceCeiling(double v) {
    double magnitude = Math.pow(10, Math.floor(Math.log10(v)));
    for (double step : new double[] {1, 2, 5, 10}) {
      if (step * magnitude >= v) {
        return step * magnitude;
      }
    }
    return 10 * magnitude;
  }

  private static String trim(double v) {
    return v == Math.rint(v) ? Long.toString((long) v) : fmt("%.3g", v);
  }

  static String escape(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }

  private static String fmt(String format, Object... args) {
    return String.format(Locale.ROOT, format, args);
  }
}
