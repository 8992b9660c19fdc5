package io.canaryproxy.mirroring;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.RequestHead;
import io.netty.util.AsciiString;

/** How a mirrored copy of a request head is made and marked. */
public final class ShadowRequests {
  /**
   * Request header carried by every mirrored copy (value {@code 1}), so that a shadow service can
   * skip side effects such as sending mail or charging cards.
   */
  public static final AsciiString MIRROR_HEADER = AsciiString.cached("x-canary-mirror");

  private static final AsciiString ONE = AsciiString.cached("1");

  private ShadowRequests() {}

  /**
   * A copy of {@code request} with its own headers (the original head goes on to the primary),
   * marked with {@link #MIRROR_HEADER} and with {@code hostSuffix} added to its Host.
   */
  static RequestHead copyHead(RequestHead request, String hostSuffix) {
    RequestHead copy = request.copy();
    Headers headers = copy.headers();
    if (!hostSuffix.isEmpty()) {
      String host = headers.get(HeaderNames.HOST);
      if (host != null && !host.isEmpty()) {
        headers.set(HeaderNames.HOST, suffixHost(host, hostSuffix));
      }
    }
    headers.set(MIRROR_HEADER, ONE);
    return copy;
  }

  /**
   * Adds {@code suffix} to the host name, before any {@code :port}, as Envoy does for its shadows:
   * {@code api:8080} becomes {@code api-shadow:8080}, {@code [::1]:80} becomes {@code
   * [::1]-shadow:80}.
   */
  public static String suffixHost(String host, String suffix) {
    int portStart;
    if (host.startsWith("[")) {
      int close = host.indexOf(']');
      portStart =
          close >= 0 && close + 1 < host.length() && host.charAt(close + 1) == ':' ? close + 1 : -1;
    } else {
      int colon = host.indexOf(':');
      portStart = colon >= 0 && host.indexOf(':', colon + 1) < 0 ? colon : -1;
    }
    if (portStart < 0) {
      return host + suffix;
    }
    return host.substring(0, portStart) + suffix + host.substring(portStart);
  }
}
