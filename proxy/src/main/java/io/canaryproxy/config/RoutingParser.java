package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.NamedMatch;
import io.canaryproxy.config.RoutingConfig.OverrideConfig;
import io.canaryproxy.config.RoutingConfig.Propagate;
import io.canaryproxy.config.RoutingConfig.RuleConfig;
import io.canaryproxy.config.RoutingConfig.StringMatch;
import io.canaryproxy.config.RoutingConfig.StringMatch.Op;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.net.Cidr;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** Reads the {@code routing} section. */
final class RoutingParser {
  static final String[] KEYS = {
    "stable",
    "canary",
    "userKey",
    "canaryPercent",
    "salt",
    "anonymous",
    "override",
    "rules",
    "exposeVariantHeader",
    "anonymousCookie",
    "propagate",
    "experiments"
  };

  private RoutingParser() {}

  static RoutingConfig parse(YamlMap m, Set<String> backends) {
    String stable = m.string("stable", "stable");
    String canary = m.string("canary", "canary");
    BackendsParser.checkName(m, "stable", stable, backends);
    BackendsParser.checkName(m, "canary", canary, backends);
    if (stable.equals(canary)) {
      m.error("canary", quote(canary) + " (expected: a backend other than routing.stable)");
    }
    double percent = m.number("canaryPercent", 0, 0, 100, "0..100");
    String salt = m.string("salt", "");
    Anonymous anonymous = m.choice("anonymous", Anonymous.STABLE, Anonymous.class);
    OverrideConfig override =
        m.declared("override")
            ? override(m.map("override", "header", "trustedCidrs", "trustForwardedFor"))
            : null;
    Propagate propagate = m.declared("propagate") ? RoutingExtrasParser.propagate(m) : null;
    if (propagate != null
        && override != null
        && propagate.header() != null
        && propagate.header().equals(override.header())) {
      m.error(
          "propagate",
          "header "
              + quote(propagate.header())
              + " (expected: a header other than override.header)");
    }
    return new RoutingConfig(
        stable,
        canary,
        userKey(m),
        percent,
        salt,
        anonymous,
        override,
        rules(m, backends),
        m.bool("exposeVariantHeader", false),
        RoutingExtrasParser.anonymousCookie(m, anonymous),
        propagate,
        RoutingExtrasParser.experiments(m, stable, canary, backends));
  }

  private static List<UserKeySource> userKey(YamlMap m) {
    List<UserKeySource> out = new ArrayList<>();
    String expected = "a list of {header: NAME}, {cookie: NAME} or {clientCert: subject|san}";
    List<JsonNode> items = m.list("userKey", expected);
    for (int i = 0; i < items.size(); i++) {
      JsonNode item = items.get(i);
      String path = m.path("userKey") + "[" + i + "]";
      boolean header = item.isObject() && item.size() == 1 && item.has("header");
      boolean cookie = item.isObject() && item.size() == 1 && item.has("cookie");
      boolean cert = item.isObject() && item.size() == 1 && item.has("clientCert");
      JsonNode name =
          header
              ? item.get("header")
              : cookie ? item.get("cookie") : cert ? item.get("clientCert") : null;
      if (cert) {
        String field = name != null && name.isTextual() ? name.asText() : "";
        if (field.equals("subject") || field.equals("san")) {
          out.add(new UserKeySource(UserKeySource.Kind.CLIENT_CERT, field));
        } else {
          m.errors()
              .add(path + ".clientCert: " + YamlMap.show(name) + " (expected: subject | san)");
        }
      } else if (name == null || !name.isTextual() || name.asText().isEmpty()) {
        m.errors()
            .add(
                path
                    + ": "
                    + YamlMap.show(item)
                    + " (expected: {header: NAME}, {cookie: NAME} or {clientCert: subject|san})");
      } else if (header) {
        out.add(
            new UserKeySource(UserKeySource.Kind.HEADER, name.asText().toLowerCase(Locale.ROOT)));
      } else {
        out.add(new UserKeySource(UserKeySource.Kind.COOKIE, name.asText()));
      }
    }
    return List.copyOf(out);
  }

  private static OverrideConfig override(YamlMap m) {
    String header = m.requiredString("header", "a header name such as x-canary");
    List<String> cidrs = m.strings("trustedCidrs", List.of());
    for (int i = 0; i < cidrs.size(); i++) {
      try {
        Cidr.parse(cidrs.get(i));
      } catch (IllegalArgumentException e) {
        m.errors().add(m.path("trustedCidrs") + "[" + i + "]: " + e.getMessage());
      }
    }
    int trustForwardedFor = (int) m.integer("trustForwardedFor", 0, 0, 16);
    return new OverrideConfig(
        header == null ? null : header.toLowerCase(Locale.ROOT),
        List.copyOf(cidrs),
        trustForwardedFor);
  }

  private static List<RuleConfig> rules(YamlMap m, Set<String> backends) {
    List<RuleConfig> out = new ArrayList<>();
    List<JsonNode> items = m.list("rules", "a list of {match: ..., to: BACKEND}");
    for (int i = 0; i < items.size(); i++) {
      YamlMap rule =
          YamlMap.of(items.get(i), m.path("rules") + "[" + i + "]", m.errors(), "match", "to");
      YamlMap match = rule.map("match", "header", "cookie", "path");
      NamedMatch header = null;
      NamedMatch cookie = null;
      StringMatch path = null;
      if (match.has("header")) {
        header = named(match.map("header", "name", "equals", "prefix", "regex", "present"), true);
      }
      if (match.has("cookie")) {
        cookie = named(match.map("cookie", "name", "equals", "present"), false);
      }
      if (match.has("path")) {
        path = operator(match.map("path", "equals", "prefix", "regex"), "equals, prefix, regex");
      }
      if (!match.has("header") && !match.has("cookie") && !match.has("path")) {
        if (rule.has("match")) {
          rule.invalid("match", "at least one of header, cookie, path");
        } else {
          rule.missing("match", "at least one of header, cookie, path");
        }
      }
      String to = rule.requiredString("to", "a backend name");
      if (to != null) {
        BackendsParser.checkName(rule, "to", to, backends);
      }
      out.add(new RuleConfig(header, cookie, path, to));
    }
    return List.copyOf(out);
  }

  private static NamedMatch named(YamlMap m, boolean lowerCase) {
    String name = m.requiredString("name", lowerCase ? "a header name" : "a cookie name");
    StringMatch op = operator(m, lowerCase ? "equals, prefix, regex, present" : "equals, present");
    if (name == null || op == null) {
      return null;
    }
    return new NamedMatch(lowerCase ? name.toLowerCase(Locale.ROOT) : name, op);
  }

  /**
   * Exactly one of the operators among the mapping's keys (its allowed keys were checked already).
   */
  private static StringMatch operator(YamlMap m, String allowed) {
    StringMatch found = null;
    List<String> ops = new ArrayList<>();
    for (Op op : Op.values()) {
      String key = op.name().toLowerCase(Locale.ROOT);
      if (!m.declared(key)) {
        continue;
      }
      ops.add(key);
      if (op == Op.PRESENT) {
        if (!m.raw(key).isBoolean() || !m.raw(key).booleanValue()) {
          m.invalid(key, "true");
        }
        found = new StringMatch(Op.PRESENT, null);
        continue;
      }
      String value = m.string(key, null);
      if (value == null) {
        if (!m.has(key)) {
          m.invalid(key, "a string");
        }
        continue;
      }
      if (op == Op.REGEX) {
        try {
          Pattern.compile(value);
        } catch (PatternSyntaxException e) {
          m.invalid(
              key,
              "a valid regular expression; " + e.getDescription() + " near index " + e.getIndex());
          continue;
        }
      }
      found = new StringMatch(op, value);
    }
    if (ops.size() != 1) {
      m.errors()
          .add(
              m.path()
                  + ": "
                  + (ops.isEmpty() ? "no operator" : String.join(" and ", ops))
                  + " (expected: exactly one of "
                  + allowed
                  + ")");
      return null;
    }
    return found;
  }

  static String quote(String s) {
    return com.fasterxml.jackson.databind.node.TextNode.valueOf(s).toString();
  }
}
