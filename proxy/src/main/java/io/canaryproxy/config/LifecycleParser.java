package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.canaryproxy.config.LifecycleConfig.Gate;
import io.canaryproxy.config.LifecycleConfig.GatesConfig;
import io.canaryproxy.config.LifecycleConfig.MetricCheckConfig;
import io.canaryproxy.config.LifecycleConfig.RevisionConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads the lifecycle keys of the {@code rollout} section ({@code history}, {@code
 * progressDeadline}, {@code onProgressDeadline}, {@code gates}, {@code revision}) and {@code
 * rollout.analysis.metrics} into one {@link LifecycleConfig}.
 */
final class LifecycleParser {
  /** The keys this parser reads directly under {@code rollout}. */
  static final String[] ROLLOUT_KEYS = {
    "history", "progressDeadline", "onProgressDeadline", "gates", "revision"
  };

  private static final String URL = "an http:// or https:// URL";
  private static final Pattern HEADER_NAME = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");
  private static final Pattern METRIC_NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private LifecycleParser() {}

  /**
   * @param rollout the {@code rollout} mapping
   * @param analysis its {@code analysis} mapping, for {@code metrics}
   * @param analysisInterval the default interval of a metric check
   */
  static LifecycleConfig parse(YamlMap rollout, YamlMap analysis, Duration analysisInterval) {
    Duration deadline = rollout.duration("progressDeadline", Duration.ZERO, false);
    if (deadline.compareTo(Duration.ofDays(7)) > 0) {
      rollout.invalid("progressDeadline", "a duration 0s..168h (0s: no deadline)");
      deadline = Duration.ZERO;
    }
    return new LifecycleConfig(
        (int) rollout.integer("history", LifecycleConfig.DEFAULT_HISTORY, 1, 100),
        deadline,
        rollout.choice("onProgressDeadline", OnFailure.PAUSE, OnFailure.class),
        gates(rollout.map("gates", "preRollout", "preStep", "prePromotion")),
        revision(rollout),
        metrics(analysis, analysisInterval));
  }

  private static GatesConfig gates(YamlMap m) {
    return new GatesConfig(
        gateList(m, "preRollout"), gateList(m, "preStep"), gateList(m, "prePromotion"));
  }

  private static List<Gate> gateList(YamlMap m, String key) {
    List<Gate> out = new ArrayList<>();
    List<JsonNode> items = m.list(key, "a list of {url, timeout, retries}");
    for (int i = 0; i < items.size(); i++) {
      YamlMap g =
          YamlMap.of(
              items.get(i), m.path(key) + "[" + i + "]", m.errors(), "url", "timeout", "retries");
      URI url = url(g, "url", true);
      Duration timeout = g.duration("timeout", Duration.ofSeconds(5), true);
      if (timeout.compareTo(Duration.ofMinutes(10)) > 0) {
        g.invalid("timeout", "a duration > 0 and at most 10m");
        timeout = Duration.ofSeconds(5);
      }
      int retries = (int) g.integer("retries", 2, 0, 100);
      if (url != null) {
        out.add(new Gate(url, timeout, retries));
      }
    }
    return out;
  }

  private static RevisionConfig revision(YamlMap rollout) {
    if (!rollout.has("revision")) {
      return null;
    }
    YamlMap m = rollout.map("revision", "header", "url", "jsonField", "interval");
    boolean hasHeader = m.has("header");
    if (hasHeader == m.has("url")) {
      m.errors()
          .add(
              m.path()
                  + ": "
                  + (hasHeader ? "both header and url" : "neither header nor url")
                  + " (expected: exactly one of them)");
      return null;
    }
    String header = m.string("header", null);
    URI url = url(m, "url", false);
    if (header == null && url == null) {
      return null; // reported
    }
    if (header != null && !HEADER_NAME.matcher(header).matches()) {
      m.invalid("header", "an HTTP header name such as x-app-version");
      return null;
    }
    if (header != null && (m.has("jsonField") || m.has("interval"))) {
      m.invalid(m.has("jsonField") ? "jsonField" : "interval", "only with url");
    }
    String field = m.string("jsonField", "version");
    if (field != null && field.isEmpty()) {
      m.invalid("jsonField", "a non-empty field name");
    }
    Duration interval = m.duration("interval", Duration.ofSeconds(10), true);
    return new RevisionConfig(
        header == null ? null : header.toLowerCase(Locale.ROOT), url, field, interval);
  }

  private static List<MetricCheckConfig> metrics(YamlMap analysis, Duration analysisInterval) {
    List<MetricCheckConfig> out = new ArrayList<>();
    List<JsonNode> items = analysis.list("metrics", "a list of {name, prometheus, threshold}");
    Set<String> names = new HashSet<>();
    for (int i = 0; i < items.size(); i++) {
      String path = analysis.path("metrics") + "[" + i + "]";
      YamlMap m =
          YamlMap.of(
              items.get(i), path, analysis.errors(), "name", "prometheus", "threshold", "interval");
      String name = m.requiredString("name", "a name of letters, digits, _ . or -, at most 64");
      if (name != null && !METRIC_NAME.matcher(name).matches()) {
        m.invalid("name", "a name of letters, digits, _ . or -, at most 64");
      } else if (name != null && !names.add(name)) {
        m.invalid("name", "a name not used by another check");
      }
      if (!m.has("prometheus")) {
        m.missing("prometheus", "{url, query}");
      }
      YamlMap prom = m.map("prometheus", "url", "query");
      URI url = m.has("prometheus") ? url(prom, "url", true) : null;
      String query = m.has("prometheus") ? prom.requiredString("query", "a PromQL query") : null;
      if (!m.has("threshold")) {
        m.missing("threshold", "{max} or {min} or both");
      }
      YamlMap threshold = m.map("threshold", "max", "min");
      Double max = bound(threshold, "max");
      Double min = bound(threshold, "min");
      if (m.has("threshold")
          && m.raw("threshold").isObject()
          && !threshold.has("max")
          && !threshold.has("min")) {
        m.invalid("threshold", "{max} or {min} or both");
      }
      if (max != null && min != null && min > max) {
        threshold.invalid("min", "at most max, " + max);
      }
      Duration interval = m.duration("interval", analysisInterval, true);
      if (name != null && url != null && query != null && (max != null || min != null)) {
        out.add(new MetricCheckConfig(name, url, query, max, min, interval));
      }
    }
    return out;
  }

  /** A finite number, or {@code null} when absent or after reporting it. */
  private static Double bound(YamlMap m, String key) {
    if (!m.has(key)) {
      return null;
    }
    JsonNode v = m.raw(key);
    if (!v.isNumber() || !Double.isFinite(v.doubleValue())) {
      m.invalid(key, "a number");
      return null;
    }
    return v.doubleValue();
  }

  /** An http(s) URL with a host, or {@code null} (after an error when {@code required}). */
  private static URI url(YamlMap m, String key, boolean required) {
    if (!m.has(key)) {
      if (required) {
        m.missing(key, URL);
      }
      return null;
    }
    String s = m.string(key, null);
    if (s == null) {
      return null;
    }
    try {
      URI uri = new URI(s);
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return uri;
      }
    } catch (URISyntaxException e) {
      // reported below
    }
    m.invalid(key, URL);
    return null;
  }
}
