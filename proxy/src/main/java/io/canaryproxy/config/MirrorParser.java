package io.canaryproxy.config;

import io.canaryproxy.config.MirrorConfig.CompareConfig;
import io.canaryproxy.config.MirrorConfig.EjectionConfig;
import io.canaryproxy.config.MirrorConfig.SampleBy;
import io.canaryproxy.http.Tokens;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** Reads the {@code mirror} section. */
final class MirrorParser {
  static final String[] KEYS = {
    "to",
    "percent",
    "sampleBy",
    "from",
    "methods",
    "maxBodyBytes",
    "maxInFlight",
    "timeout",
    "hostSuffix",
    "compare",
    "grpc",
    "ejection"
  };

  private MirrorParser() {}

  static MirrorConfig parse(YamlMap m, Set<String> backends) {
    String to = m.requiredString("to", "a backend name");
    if (to != null) {
      BackendsParser.checkName(m, "to", to, backends);
    }
    double percent = 0;
    if (m.has("percent")) {
      percent = m.number("percent", 0, 0, 100, "0..100");
    } else {
      m.missing("percent", "0..100; there is no implicit 100%");
    }
    Set<String> from = new LinkedHashSet<>();
    List<String> fromList = m.strings("from", List.of("stable", "canary"));
    for (int i = 0; i < fromList.size(); i++) {
      String v = fromList.get(i);
      if (v.equals("stable") || v.equals("canary")) {
        from.add(v);
      } else {
        m.errors()
            .add(
                m.path("from")
                    + "["
                    + i
                    + "]: "
                    + RoutingParser.quote(v)
                    + " (expected: stable or canary)");
      }
    }
    Set<String> methods = new LinkedHashSet<>();
    List<String> methodList = m.strings("methods", List.of("GET", "HEAD", "OPTIONS"));
    for (int i = 0; i < methodList.size(); i++) {
      String v = methodList.get(i);
      if (Tokens.isToken(v)) {
        methods.add(v.toUpperCase(Locale.ROOT));
      } else {
        m.errors()
            .add(
                m.path("methods")
                    + "["
                    + i
                    + "]: "
                    + RoutingParser.quote(v)
                    + " (expected: an HTTP method such as GET)");
      }
    }
    return new MirrorConfig(
        to,
        percent,
        m.choice("sampleBy", SampleBy.REQUEST, SampleBy.class),
        Collections.unmodifiableSet(from),
        Collections.unmodifiableSet(methods),
        m.size("maxBodyBytes", 1 << 20, 0, Long.MAX_VALUE),
        (int) m.integer("maxInFlight", 256, 1, 1_000_000),
        m.duration("timeout", Duration.ofSeconds(5), true),
        m.string("hostSuffix", "-shadow"),
        compare(
            m.map(
                "compare",
                "enabled",
                "headers",
                "maxBodyBytes",
                "json",
                "ignoreFields",
                "stableBaseline")),
        m.choice("grpc", MirrorConfig.GrpcMirror.UNARY, MirrorConfig.GrpcMirror.class),
        ejection(m.map("ejection", "consecutiveFailures", "baseTime", "maxTime")));
  }

  private static EjectionConfig ejection(YamlMap m) {
    EjectionConfig def = EjectionConfig.DEFAULT;
    int failures = (int) m.integer("consecutiveFailures", def.consecutiveFailures(), 0, 1_000_000);
    Duration base = m.duration("baseTime", def.baseTime(), true);
    Duration max = m.duration("maxTime", def.maxTime(), true);
    if (max.compareTo(base) < 0) {
      // Named on the key the user wrote: maxTime when given, else baseTime (past the default max).
      if (m.has("maxTime")) {
        m.invalid("maxTime", "at least baseTime, " + Durations.format(base));
      } else {
        m.invalid("baseTime", "at most maxTime, " + Durations.format(max));
      }
      max = base;
    }
    return new EjectionConfig(failures, base, max);
  }

  private static CompareConfig compare(YamlMap m) {
    List<String> headers = new ArrayList<>();
    for (String h : m.strings("headers", List.of("content-type"))) {
      headers.add(h.toLowerCase(Locale.ROOT));
    }
    List<String> ignore = m.strings("ignoreFields", List.of());
    for (int i = 0; i < ignore.size(); i++) {
      if (!ignore.get(i).startsWith("$")) {
        m.errors()
            .add(
                m.path("ignoreFields")
                    + "["
                    + i
                    + "]: "
                    + RoutingParser.quote(ignore.get(i))
                    + " (expected: a JSON path such as $.timestamp)");
      }
    }
    return new CompareConfig(
        m.bool("enabled", true),
        List.copyOf(headers),
        m.size("maxBodyBytes", 256 << 10, 0, Long.MAX_VALUE),
        m.bool("json", false),
        List.copyOf(ignore),
        m.bool("stableBaseline", false));
  }
}
