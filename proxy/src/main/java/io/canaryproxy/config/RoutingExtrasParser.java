package io.canaryproxy.config;

import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.AnonymousCookie;
import io.canaryproxy.config.RoutingConfig.Propagate;
import io.canaryproxy.net.Cidr;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/** Reads {@code routing.anonymousCookie} and {@code routing.propagate}. */
final class RoutingExtrasParser {
  /** The longest {@code Max-Age} accepted: browsers cap cookie lifetimes near 400 days anyway. */
  private static final Duration MAX_AGE_LIMIT = Duration.ofDays(400);

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

  /** An RFC 9110 token, as header and cookie names must be. */
  static boolean isToken(String s) {
    if (s == null || s.isEmpty() || s.length() > 128) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return true;
  }
}
