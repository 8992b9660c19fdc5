package io.canaryproxy.routing;

import io.canaryproxy.config.RoutingConfig.AnonymousCookie;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * The id cookie of {@code routing.anonymous: cookie}: reads a visitor's id from the {@code Cookie}
 * header, mints a new one for a visitor without a valid id, and writes the {@code Set-Cookie} value
 * that gives it to the browser. An id is 128 random bits from a per-thread {@link SecureRandom} (a
 * DRBG seeded by the platform's entropy source, so threads never contend), written as 22 base64url
 * characters: collisions and guesses are negligible, and a forged id is only a key that picks one
 * of the two cohorts.
 */
final class VisitorCookie {
  /** Shortest and longest id accepted on the way in. */
  static final int MIN_LENGTH = 8;

  static final int MAX_LENGTH = 64;

  private static final ThreadLocal<SecureRandom> RANDOM =
      ThreadLocal.withInitial(VisitorCookie::newRandom);

  private final String name;

  /** {@code "; Path=/; Max-Age=..."}: the attributes after {@code name=id}. */
  private final String attributes;

  VisitorCookie(AnonymousCookie cfg) {
    this.name = cfg.name();
    StringBuilder a = new StringBuilder("; Path=/");
    if (!cfg.maxAge().isZero()) {
      a.append("; Max-Age=").append(cfg.maxAge().toSeconds());
    }
    if (cfg.secure()) {
      a.append("; Secure");
    }
    if (cfg.httpOnly()) {
      a.append("; HttpOnly");
    }
    a.append("; SameSite=").append(cfg.sameSite());
    this.attributes = a.toString();
  }

  String name() {
    return name;
  }

  /**
   * The visitor id in {@code cookieHeader} ({@code null} when absent), or {@code null} when the
   * cookie is absent or its value is not 8..64 base64url characters; one substring when valid.
   */
  String read(String cookieHeader) {
    if (cookieHeader == null) {
      return null;
    }
    long range = Cookies.find(cookieHeader, name);
    if (range < 0) {
      return null;
    }
    int start = (int) (range >>> 32);
    int end = (int) range;
    return valid(cookieHeader, start, end) ? cookieHeader.substring(start, end) : null;
  }

  /** True when {@code s[start, end)} is an acceptable id. */
  static boolean valid(String s, int start, int end) {
    int len = end - start;
    if (len < MIN_LENGTH || len > MAX_LENGTH) {
      return false;
    }
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || c == '-'
              || c == '_';
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A new id: 128 random bits as 22 base64url characters. */
  static String newId() {
    byte[] bits = new byte[16];
    RANDOM.get().nextBytes(bits);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(bits);
  }

  /** The {@code Set-Cookie} value that stores {@code id}. */
  String setCookie(String id) {
    return name + "=" + id + attributes;
  }

  private static SecureRandom newRandom() {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      return new SecureRandom();
    }
  }
}
