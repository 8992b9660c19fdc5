package io.canaryproxy.routing;

import io.canaryproxy.net.Cidr;
import java.net.InetAddress;

/**
 * Reads a client address from {@code X-Forwarded-For} as written by trusted hops in front of the
 * proxy. Each hop appends the address it received the request from, so only the rightmost entries
 * were written by hops the operator controls; entries further left were written by the client and
 * may be forged.
 */
final class ForwardedFor {
  static final String HEADER = "x-forwarded-for";

  private ForwardedFor() {}

  /**
   * The {@code n}-th address from the right ({@code n} &ge; 1) of a comma-separated {@code
   * X-Forwarded-For} value, or {@code null} when the value has fewer entries or that entry is not
   * an IP literal (optionally {@code [v6]} or {@code v4:port}).
   */
  static InetAddress fromRight(String value, int n) {
    if (value == null) {
      return null;
    }
    int end = value.length();
    for (int seen = 1; end >= 0; seen++) {
      int comma = value.lastIndexOf(',', end - 1);
      if (seen == n) {
        return literal(value.substring(comma + 1, end).trim());
      }
      if (comma < 0) {
        return null;
      }
      end = comma;
    }
    return null;
  }

  private static InetAddress literal(String entry) {
    if (entry.startsWith("[")) {
      int close = entry.indexOf(']');
      return close < 0 ? null : Cidr.parseLiteral(entry.substring(1, close));
    }
    int colon = entry.indexOf(':');
    if (colon >= 0 && entry.indexOf(':', colon + 1) < 0) {
      entry = entry.substring(0, colon); // v4:port
    }
    return entry.isEmpty() ? null : Cidr.parseLiteral(entry);
  }
}
