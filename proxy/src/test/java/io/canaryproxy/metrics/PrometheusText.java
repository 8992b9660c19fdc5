package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A strict reader of the Prometheus text exposition format (0.0.4), for tests. */
public final class PrometheusText {
  private static final String NAME = "[a-zA-Z_:][a-zA-Z0-9_:]*";
  private static final String LABEL = "[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"";
  private static final String VALUE =
      "(?:[+-]?Inf|NaN|[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?)";
  private static final Pattern SAMPLE =
      Pattern.compile(
          "^("
              + NAME
              + ")(\\{(?:"
              + LABEL
              + "(?:,"
              + LABEL
              + ")*,?)?\\})? ("
              + VALUE
              + ")(?: -?[0-9]+)?$");
  private static final Pattern TYPE =
      Pattern.compile("^# TYPE (" + NAME + ") (counter|gauge|histogram|summary|untyped)$");
  private static final Pattern HELP = Pattern.compile("^# HELP (" + NAME + ")(?: .*)?$");
  private static final Pattern ONE_LABEL =
      Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** One sample: metric name, labels, value. */
  public record Sample(String name, Map<String, String> labels, double value) {
    /** Name and labels: what identifies a series. */
    public String series() {
      return name + labels;
    }
  }

  private PrometheusText() {}

  /**
   * Parses {@code text}, asserting that every line is a comment or a well-formed sample and that
   * each sample's family has both HELP and TYPE lines.
   */
  public static List<Sample> parseStrict(String text) {
    Set<String> typed = new HashSet<>();
    Set<String> helped = new HashSet<>();
    List<Sample> samples = new ArrayList<>();
    for (String line : text.split("\n", -1)) {
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        Matcher t = TYPE.matcher(line);
        Matcher h = HELP.matcher(line);
        assertThat(t.matches() || h.matches()).as("comment line: %s", line).isTrue();
        if (t.matches()) {
          typed.add(t.group(1));
        } else {
          helped.add(h.group(1));
        }
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertThat(m.matches()).as("sample line: %s", line).isTrue();
      Map<String, String> labels = new LinkedHashMap<>();
      if (m.group(2) != null) {
        Matcher l = ONE_LABEL.matcher(m.group(2));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      String v = m.group(3);
      double value =
          v.endsWith("Inf")
              ? (v.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY)
              : Double.parseDouble(v);
      samples.add(new Sample(m.group(1), labels, value));
      String family = family(m.group(1), typed);
      assertThat(family).as("TYPE line before %s", line).isNotNull();
      assertThat(helped).as("HELP line for %s", family).contains(family);
    }
    return samples;
  }

  private static String family(String sampleName, Set<String> typed) {
    if (typed.contains(sampleName)) {
      return sampleName;
    }
    for (String suffix : List.of("_bucket", "_count", "_sum", "_total", "_created")) {
      if (sampleName.endsWith(suffix)) {
        String base = sampleName.substring(0, sampleName.length() - suffix.length());
        if (typed.contains(base)) {
          return base;
        }
      }
    }
    return null;
  }
}
