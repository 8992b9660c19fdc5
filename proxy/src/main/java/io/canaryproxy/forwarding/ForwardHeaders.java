package io.canaryproxy.forwarding;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HopByHop;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.Set;

/**
 * The changes made to every request head before it goes to a backend. How the body is framed on the
 * wire is the upstream adapter's business (it frames from {@code RequestHead.bodyLength()}).
 */
final class ForwardHeaders {
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");

  private ForwardHeaders() {}

  /**
   * Removes hop-by-hop fields (never those named in {@code keep}, lower case), appends the client
   * to {@code X-Forwarded-For}, and sets {@code X-Forwarded-Proto} and {@code X-Forwarded-Host}
   * unless an earlier proxy set them. {@code Host} is kept as the client sent it.
   */
  static void prepareRequest(Headers headers, String clientIp, Set<String> keep) {
    prepareRequest(headers, clientIp, false, keep);
  }

  /**
   * As above, with {@code X-Forwarded-Proto: https} when {@code secure} (TLS was terminated here).
   */
  static void prepareRequest(Headers headers, String clientIp, boolean secure, Set<String> keep) {
    HopByHop.strip(headers, keep);
    String forwardedFor = headers.get(HeaderNames.X_FORWARDED_FOR);
    headers.set(
        HeaderNames.X_FORWARDED_FOR,
        forwardedFor == null ? clientIp : forwardedFor + ", " + clientIp);
    if (!headers.contains(HeaderNames.X_FORWARDED_PROTO)) {
      headers.set(HeaderNames.X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
    }
    if (!headers.contains(HeaderNames.X_FORWARDED_HOST)) {
      String host = headers.get(HeaderNames.HOST);
      if (host != null) {
        headers.set(HeaderNames.X_FORWARDED_HOST, host);
      }
    }
  }

  /** A Host value for a request that came without one (HTTP/1.0). */
  static String hostOf(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}
