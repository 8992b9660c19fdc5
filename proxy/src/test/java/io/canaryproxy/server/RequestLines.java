package io.canaryproxy.server;

import io.canaryproxy.http.Tokens;

/**
 * Strict checks of a request line's three parts and of a {@code Host} value, which Netty's decoder
 * accepts more leniently than nginx and HAProxy do. A proxy must not forward what its backend may
 * read differently: a target with control or 8-bit bytes, a method that is not a token, a version
 * spelled otherwise than {@code HTTP/d.d}.
 */
final class RequestLines {
  private RequestLines() {}

  /**
   * Throws {@link IllegalArgumentException} naming the first problem in a request line.
   *
   * @param method must be a token (RFC 9110 §9.1, §5.6.2)
   * @param target every byte visible US-ASCII, 0x21..0x7E (RFC 9112 §3.2, RFC 3986)
   * @param version exactly {@code HTTP/} digit {@code .} digit, upper case (RFC 9112 §2.3); which
   *     versions are served is the guard's decision (505)
   */
  static void check(String method, String target, String version) {
    if (method.isEmpty() || !Tokens.isToken(method)) {
      throw new IllegalArgumentException("invalid method");
    }
    if (target.isEmpty()) {
      throw new IllegalArgumentException("empty request target");
    }
    for (int i = 0; i < target.length(); i++) {
      char c = target.charAt(i);
      if (c <= 0x20 || c >= 0x7f) {
        throw new IllegalArgumentException(
            "invalid byte 0x" + Integer.toHexString(c) + " in the request target");
      }
    }
    if (version.length() != 8
        || !version.startsWith("HTTP/")
        || !isDigit(version.charAt(5))
        || version.charAt(6) != '.'
        || !isDigit(version.charAt(7))) {
      throw new IllegalArgumentException("invalid HTTP version");
    }
  }

  /**
   * True when {@code host} is a {@code uri-host [ ":" port ]} (RFC 9110 §7.2, RFC 3986 §3.2.2): an
   * IP literal in brackets, or registered-name characters, then an optional decimal port. An empty
   * value is allowed (RFC 9112 §3.2).
   */
  static boolean isValidHost(CharSequence host) {
    int n = host.length();
    int i = 0;
    if (n > 0 && host.charAt(0) == '[') {
      int close = indexOf(host, ']');
      if (close < 0) {
        return false;
      }
      for (i = 1; i < close; i++) {
        char c = host.charAt(i);
        if (!(isUnreserved(c) || isSubDelim(c) || c == ':')) {
          return false;
        }
      }
      i = close + 1;
    } else {
      while (i < n && host.charAt(i) != ':') {
        char c = host.charAt(i);
        if (!(isUnreserved(c) || isSubDelim(c) || c == '%')) {
          return false;
        }
        i++;
      }
    }
    if (i == n) {
      return true;
    }
    if (host.charAt(i) != ':') {
      return false;
    }
    for (i++; i < n; i++) {
      if (!isDigit(host.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static int indexOf(CharSequence s, char c) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isUnreserved(char c) {
    return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
  }

  private static boolean isSubDelim(char c) {
    return "!$&'()*+,;=".indexOf(c) >= 0;
  }

  private static boolean isAlpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static boolean isDigit(char c) {
    return c >= '0' && c <= '9';
  }
}
