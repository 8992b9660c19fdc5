package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.AnonymousCookie;
import io.canaryproxy.config.RoutingConfig.Arm;
import io.canaryproxy.config.RoutingConfig.Propagate;
import io.canaryproxy.http.Tokens;
import io.canaryproxy.net.Cidr;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code routing.anonymousCookie}, {@code routing.propagate} and {@code routing.experiments}.
 */
final class RoutingExtrasParser {
  /** The longest {@code Max-Age} accepted: browsers cap cookie lifetimes near 400 days anyway. */
  private static final Duration MAX_AGE_LIMIT = Duration.ofDays(400);

  /** An arm's name: it becomes a metric label value and a header value. */
  private static final Pattern ARM_NAME = Pattern.compile("[a-z][a-z0-9_-]{0,31}");

  /** Labels the variant metric already uses. */
  private static final List<String> RESERVED = List.of("stable", "canary", "other", "shadow");

  private RoutingExtrasParser() {}

  /**
   * The anonymous cookie: the defaults when {@code anonymous} is {@code cookie} and the section is
   * absent, {@code null} for any other policy (where a declared section is an error: it would do
   * nothing).
   */
  static AnonymousCookie anonymousCookie(YamlMap routing, Anonymous anonymous) {
    if (anonymous != Anonymous.COOKIE) {
      if (routing.declared("anonymousCookie")) {
        routing.error(
            "anonymousCookie",
            "set while routing.anonymous is "
                + anonymous.name().toLowerCase(Locale.ROOT)
                + " (expected: anonymous: cookie)");
      }
      return null;
    }
    if (!routing.declared("anonymousCookie")) {
      return AnonymousCookie.DEFAULT;
    }
    AnonymousCookie d = AnonymousCookie.DEFAULT;
    YamlMap m = routing.map("anonymousCookie", "name", "maxAge", "secure", "httpOnly", "sameSite");
    String name = m.string("name", d.name());
    if (!isToken(name)) {
      m.invalid("name", "a cookie name: letters, digits and !#$%&'*+-.^_`|~");
      name = d.name();
    }
    Duration maxAge = m.duration("maxAge", d.maxAge(), false);
    if (maxAge.compareTo(MAX_AGE_LIMIT) > 0) {
      m.invalid("maxAge", "at most 9600h (400 days)");
      maxAge = d.maxAge();
    }
    boolean secure = m.bool("secure", d.secure());
    String sameSite = m.string("sameSite", "lax").toLowerCase(Locale.ROOT);
    switch (sameSite) {
      case "strict" -> sameSite = "Strict";
      case "lax" -> sameSite = "Lax";
      case "none" -> {
        sameSite = "None";
        if (!secure) {
          // Browsers drop a SameSite=None cookie that is not Secure.
          m.error(
              "sameSite", "none without secure: true (expected: secure: true, or strict | lax)");
        }
      }
      default -> {
        m.invalid("sameSite", "strict | lax | none");
        sameSite = d.sameSite();
      }
    }
    return new AnonymousCookie(name, maxAge, secure, m.bool("httpOnly", d.httpOnly()), sameSite);
  }

  /** {@code routing.propagate}, which is declared. */
  static Propagate propagate(YamlMap routing) {
    YamlMap m = routing.map("propagate", "header", "baggage", "trustInbound");
    String header = m.string("header", "x-canary-variant");
    if (!isToken(header)) {
      m.invalid("header", "a header name");
      header = "x-canary-variant";
    }
    List<String> cidrs = m.strings("trustInbound", List.of());
    for (int i = 0; i < cidrs.size(); i++) {
      try {
        Cidr.parse(cidrs.get(i));
      } catch (IllegalArgumentException e) {
        m.errors().add(m.path("trustInbound") + "[" + i + "]: " + e.getMessage());
      }
    }
    return new Propagate(
        header.toLowerCase(Locale.ROOT), m.bool("baggage", false), List.copyOf(cidrs));
  }

  /**
   * {@code routing.experiments}: at most {@link RoutingConfig#MAX_ARMS} arms with distinct names
   * and backends other than stable and canary, whose shares add up to at most 100.
   */
  static List<Arm> experiments(
      YamlMap routing, String stable, String canary, Set<String> backends) {
    List<JsonNode> items =
        routing.list("experiments", "a list of {name: ARM, backend: BACKEND, percent: 0..100}");
    if (items.size() > RoutingConfig.MAX_ARMS) {
      routing.error(
          "experiments", items.size() + " arms (expected: at most " + RoutingConfig.MAX_ARMS + ")");
    }
    List<Arm> arms = new ArrayList<>();
    Set<String> names = new HashSet<>();
    int total = 0;
    for (int i = 0; i < items.size(); i++) {
      YamlMap arm =
          YamlMap.of(
              items.get(i),
              routing.path("experiments") + "[" + i + "]",
              routing.errors(),
              "name",
              "backend",
              "percent");
      String name = arm.requiredString("name", "an arm name");
      if (name != null && !ARM_NAME.matcher(name).matches()) {
        arm.invalid(
            "name", "lower-case letters, digits, - and _, 1..32 characters, a letter first");
        name = null;
      } else if (name != null && RESERVED.contains(name)) {
        arm.invalid("name", "a name other than " + String.join(", ", RESERVED));
        name = null;
      } else if (name != null && !names.add(name)) {
        arm.invalid("name", "a name not used by another arm");
        name = null;
      }
      String backend = arm.requiredString("backend", "a backend name");
      if (backend != null) {
        BackendsParser.checkName(arm, "backend", backend, backends);
        if (backend.equals(stable) || backend.equals(canary)) {
          arm.invalid("backend", "a backend other than routing.stable and routing.canary");
        }
      }
      if (!arm.has("percent")) {
        arm.missing("percent", "0..100");
      }
      double percent = arm.number("percent", 0, 0, 100, "0..100");
      total += buckets(percent);
      if (name != null && backend != null) {
        arms.add(new Arm(name, backend, percent));
      }
    }
    if (total > 10_000) {
      routing.error(
          "experiments",
          "the arms' percents add up to " + total / 100.0 + " (expected: at most 100)");
    }
    return List.copyOf(arms);
  }

  /** Buckets (0.01% each) of a share, rounded as the cohort threshold is. */
  private static int buckets(double percent) {
    return (int) Math.round(percent * 100);
  }

  /** An RFC 9110 token of at most 128 characters, as header and cookie names must be. */
  static boolean isToken(String s) {
    return s != null && s.length() <= 128 && Tokens.isToken(s);
  }
}
