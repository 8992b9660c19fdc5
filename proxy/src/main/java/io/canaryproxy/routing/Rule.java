package io.canaryproxy.routing;

import io.canaryproxy.config.RoutingConfig.NamedMatch;
import io.canaryproxy.config.RoutingConfig.RuleConfig;
import io.canaryproxy.config.RoutingConfig.StringMatch;
import io.canaryproxy.config.RoutingConfig.StringMatch.Op;
import java.util.regex.Pattern;

/**
 * A compiled routing rule: each present condition must match. Regexes are compiled once and must
 * match the whole value; equality and prefix tests use plain string comparison.
 */
final class Rule {
  final String backend;
  final Variant variant;
  private final String headerName;
  private final Condition header;
  private final String cookieName;
  private final Condition cookie;
  private final Condition path;

  Rule(RuleConfig cfg, Variant variant) {
    this.backend = cfg.to();
    this.variant = variant;
    this.headerName = cfg.header() == null ? null : cfg.header().name();
    this.header = condition(cfg.header());
    this.cookieName = cfg.cookie() == null ? null : cfg.cookie().name();
    this.cookie = condition(cfg.cookie());
    this.path = cfg.path() == null ? null : new Condition(cfg.path());
    if (header == null && cookie == null && path == null) {
      throw new IllegalArgumentException(
          "rule to " + cfg.to() + ": no condition (expected: at least one)");
    }
    if (cookie != null && (cookie.op == Op.PREFIX || cookie.op == Op.REGEX)) {
      throw new IllegalArgumentException(
          "cookie " + cookieName + ": " + cookie.op + " (expected: EQUALS or PRESENT)");
    }
  }

  boolean matches(RequestView request) {
    if (header != null && !header.test(request.header(headerName))) {
      return false;
    }
    if (cookie != null) {
      String cookies = request.header("cookie");
      if (cookies == null) {
        return false;
      }
      boolean ok =
          cookie.op == Op.PRESENT
              ? Cookies.find(cookies, cookieName) >= 0
              : Cookies.valueEquals(cookies, cookieName, cookie.value);
      if (!ok) {
        return false;
      }
    }
    return path == null || path.test(request.path());
  }

  private static Condition condition(NamedMatch m) {
    return m == null ? null : new Condition(m.match());
  }

  /** One operator and its operand. */
  private static final class Condition {
    final Op op;
    final String value;
    final Pattern pattern;

    Condition(StringMatch m) {
      this.op = m.op();
      this.value = m.value();
      this.pattern = op == Op.REGEX ? Pattern.compile(value) : null;
    }

    boolean test(String actual) {
      if (actual == null) {
        return false;
      }
      switch (op) {
        case PRESENT:
          return true;
        case EQUALS:
          return actual.equals(value);
        case PREFIX:
          return actual.startsWith(value);
        case REGEX:
          return pattern.matcher(actual).matches();
        default:
          throw new AssertionError(op);
      }
    }
  }
}
