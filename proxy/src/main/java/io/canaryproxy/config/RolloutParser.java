package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the {@code rollout} section; {@code analysis} is nested in YAML but flat in {@link
 * AnalysisConfig}.
 */
final class RolloutParser {
  static final String[] KEYS = {
    "steps",
    "stepInterval",
    "analysis",
    "onFailure",
    "stateFile",
    "webhook",
    "shadowGate",
    "history",
    "progressDeadline",
    "onProgressDeadline",
    "gates",
    "revision",
    "coordination"
  };

  /** Longest {@code analysis.warmup}: longer is almost surely a typo (10h for 10m). */
  private static final Duration MAX_WARMUP = Duration.ofHours(1);

  private RolloutParser() {}

  /**
   * @param readFiles also read the PEM files that {@code coordination.tls} names
   */
  static RolloutConfig parse(YamlMap m, boolean readFiles) {
    URI webhook = null;
    String hook = m.string("webhook", null);
    if (hook != null) {
      try {
        webhook = new URI(hook);
        if (!("http".equals(webhook.getScheme()) || "https".equals(webhook.getScheme()))
            || webhook.getHost() == null) {
          m.invalid("webhook", "an http:// or https:// URL");
        }
      } catch (URISyntaxException e) {
        m.invalid("webhook", "an http:// or https:// URL");
      }
    }
    Path stateFile = m.has("stateFile") ? m.filePath("stateFile") : Path.of("./rollout-state.json");
    List<Double> steps = steps(m);
    Duration stepInterval = m.duration("stepInterval", Duration.ofSeconds(60), true);
    YamlMap analysis =
        m.map(
            "analysis",
            "interval",
            "minRequests",
            "latency",
            "errorRate",
            "failureThreshold",
            "confidence",
            "maxMismatchRate",
            "warmup",
            "maxInconclusive",
            "onInconclusive",
            "metrics");
    AnalysisConfig judged = analysis(analysis);
    return new RolloutConfig(
        steps,
        stepInterval,
        judged,
        m.choice("onFailure", OnFailure.ROLLBACK, OnFailure.class),
        stateFile,
        webhook,
        m.bool("shadowGate", false),
        LifecycleParser.parse(m, analysis, judged.interval()),
        CoordinationParser.parse(m.map("coordination", CoordinationParser.KEYS), readFiles));
  }

  private static List<Double> steps(YamlMap m) {
    String expected = "a non-empty list of canaryPercent values 0..100, ascending";
    if (!m.has("steps")) {
      m.missing("steps", expected);
      return List.of();
    }
    List<JsonNode> items = m.list("steps", expected);
    if (items.isEmpty() && m.raw("steps").isArray()) {
      m.invalid("steps", expected);
    }
    List<Double> out = new ArrayList<>();
    double previous = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      String path = m.path("steps") + "[" + i + "]";
      if (!item.isNumber() || !(item.doubleValue() >= 0 && item.doubleValue() <= 100)) {
        m.errors().add(path + ": " + YamlMap.show(item) + " (expected: 0..100)");
        continue;
      }
      double step = item.doubleValue();
      if (step <= previous) {
        m.errors()
            .add(
                path
                    + ": "
                    + YamlMap.show(item)
                    + " (expected: greater than the previous step, "
                    + YamlMap.show(items.get(i - 1))
                    + ")");
      }
      previous = step;
      out.add(step);
    }
    return List.copyOf(out);
  }

  private static AnalysisConfig analysis(YamlMap m) {
    YamlMap latency =
        m.map("latency", "percentile", "tolerance", "minShift", "tailTolerance", "maxRatio");
    YamlMap errorRate = m.map("errorRate", "maxIncrease", "tolerance");
    double percentile = latency.number("percentile", 99, 0, 100, "0..100, exclusive");
    if (percentile <= 0 || percentile >= 100) {
      latency.invalid("percentile", "0..100, exclusive");
      percentile = 99;
    }
    double confidence = m.number("confidence", 0.99, 0, 1, "0..1, exclusive");
    if (confidence <= 0 || confidence >= 1) {
      m.invalid("confidence", "0..1, exclusive");
      confidence = 0.99;
    }
    Duration minShift = latency.duration("minShift", AnalysisConfig.DEFAULT_MIN_SHIFT, false);
    if (minShift.compareTo(Duration.ofSeconds(60)) > 0) {
      latency.invalid("minShift", "a duration 0s..60s");
      minShift = AnalysisConfig.DEFAULT_MIN_SHIFT;
    }
    Duration maxInconclusive =
        m.duration("maxInconclusive", AnalysisConfig.DEFAULT_MAX_INCONCLUSIVE, false);
    if (maxInconclusive.compareTo(Duration.ofDays(1)) > 0) {
      m.invalid("maxInconclusive", "a duration 0s..24h (0s: no bound)");
      maxInconclusive = AnalysisConfig.DEFAULT_MAX_INCONCLUSIVE;
    }
    return new AnalysisConfig(
        m.duration("interval", Duration.ofSeconds(10), true),
        m.integer("minRequests", 200, 1, Long.MAX_VALUE),
        percentile,
        tolerance(latency),
        minShift,
        latency.number("tailTolerance", AnalysisConfig.DEFAULT_TAIL_TOLERANCE, 0, 100, "0..100"),
        confidence,
        errorRate.number("maxIncrease", 0.01, 0, 1, "0..1"),
        errorRate.number("tolerance", AnalysisConfig.DEFAULT_ERROR_TOLERANCE, 0, 100, "0..100"),
        m.number("maxMismatchRate", 0.05, 0, 1, "0..1"),
        (int) m.integer("failureThreshold", 3, 1, 1000),
        warmup(m),
        maxInconclusive,
        m.choice("onInconclusive", OnFailure.PAUSE, OnFailure.class));
  }

  /**
   * {@code latency.tolerance}, or the deprecated {@code latency.maxRatio} mapped to {@code maxRatio
   * - 1}; not both.
   */
  private static double tolerance(YamlMap latency) {
    double def = AnalysisConfig.DEFAULT_TOLERANCE;
    if (latency.has("maxRatio") && latency.has("tolerance")) {
      latency.invalid("maxRatio", "only one of maxRatio (deprecated) and tolerance");
      return def;
    }
    if (latency.has("maxRatio")) {
      double maxRatio =
          latency.number("maxRatio", 1 + def, 1, 101, "a ratio 1..101 (deprecated: use tolerance)");
      return AnalysisConfig.toleranceOf(maxRatio);
    }
    return latency.number("tolerance", def, 0, 100, "0..100");
  }

  private static Duration warmup(YamlMap m) {
    Duration warmup = m.duration("warmup", Duration.ZERO, false);
    if (warmup.compareTo(MAX_WARMUP) > 0) {
      m.invalid("warmup", "a duration 0s..1h");
      return Duration.ZERO;
    }
    return warmup;
  }
}
