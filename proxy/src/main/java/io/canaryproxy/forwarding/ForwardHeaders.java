package io.canaryproxy.forwarding;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;

/** The changes made to every request head before it goes to a backend. */
final class ForwardHeaders {
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString HTTP = AsciiString.cached("http");

  private ForwardHeaders() {}

  /**
   * Removes hop-by-hop fields, appends the client to {@code X-Forwarded-For}, sets {@code
   * X-Forwarded-Proto} and {@code X-Forwarded-Host} unless an earlier proxy set them, and speaks
   * HTTP/1.1 to the backend. {@code Host} is kept as the client sent it.
   */
  static void prepareRequest(HttpRequest request, String clientIp) {
    HttpHeaders headers = request.headers();
    HopByHop.strip(headers);
    String forwardedFor = headers.get(X_FORWARDED_FOR);
    headers.set(X_FORWARDED_FOR, forwardedFor == null ? clientIp : forwardedFor + ", " + clientIp);
    if (!headers.contains(X_FORWARDED_PROTO)) {
      headers.set(X_FORWARDED_PROTO, HTTP);
    }
    if (!headers.contains(X_FORWARDED_HOST)) {
      String host = headers.get(io.netty.handler.codec.http.HttpHeaderNames.HOST);
      if (host != null) {
        headers.set(X_FORWARDED_HOST, host);
      }
    }
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  /** A Host value for a request that came without one (HTTP/1.0). */
  static String hostOf(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}
