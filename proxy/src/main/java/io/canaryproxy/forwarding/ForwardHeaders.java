package io.canaryproxy.forwarding;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.net.InetSocketAddress;
import java.util.Set;

/** The changes made to every request head before it goes to a backend. */
final class ForwardHeaders {
  static final AsciiString X_FORWARDED_FOR = AsciiString.cached("x-forwarded-for");
  static final AsciiString X_FORWARDED_PROTO = AsciiString.cached("x-forwarded-proto");
  static final AsciiString X_FORWARDED_HOST = AsciiString.cached("x-forwarded-host");
  private static final AsciiString HTTP = AsciiString.cached("http");
  private static final AsciiString HTTPS = AsciiString.cached("https");

  private ForwardHeaders() {}

  /**
   * Removes hop-by-hop fields (never those named in {@code keep}, lower case), frames the body
   * itself, appends the client to {@code X-Forwarded-For}, sets {@code X-Forwarded-Proto} and
   * {@code X-Forwarded-Host} unless an earlier proxy set them, and speaks HTTP/1.1 to the backend.
   * {@code Host} is kept as the client sent it.
   *
   * @param chunked whether the decoder reads the body as chunked (see {@link #isChunked})
   * @param length the validated Content-Length, or -1 when chunked or absent
   */
  static void prepareRequest(
      HttpRequest request, String clientIp, Set<String> keep, boolean chunked, long length) {
    prepareRequest(request, clientIp, false, keep, chunked, length);
  }

  /**
   * As above, with {@code X-Forwarded-Proto: https} when {@code secure} (TLS was terminated here).
   */
  static void prepareRequest(
      HttpRequest request,
      String clientIp,
      boolean secure,
      Set<String> keep,
      boolean chunked,
      long length) {
    HttpHeaders headers = request.headers();
    HopByHop.strip(headers, keep);
    frame(headers, chunked, length);
    String forwardedFor = headers.get(X_FORWARDED_FOR);
    headers.set(X_FORWARDED_FOR, forwardedFor == null ? clientIp : forwardedFor + ", " + clientIp);
    if (!headers.contains(X_FORWARDED_PROTO)) {
      headers.set(X_FORWARDED_PROTO, secure ? HTTPS : HTTP);
    }
    if (!headers.contains(X_FORWARDED_HOST)) {
      String host = headers.get(HttpHeaderNames.HOST);
      if (host != null) {
        headers.set(X_FORWARDED_HOST, host);
      }
    }
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
  }

  /**
   * Writes the framing fields of a forwarded request from what the proxy validated, whatever else
   * the head says: {@code Transfer-Encoding: chunked} for a chunked body (the encoder re-chunks it;
   * the guard admits no other transfer coding), else {@code Content-Length} when the client sent
   * one, else nothing (no body, RFC 9112 §6.3).
   */
  private static void frame(HttpHeaders headers, boolean chunked, long length) {
    if (chunked) {
      headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
      if (length < 0) {
        headers.remove(HttpHeaderNames.CONTENT_LENGTH);
      } else if (!headers.contains(HttpHeaderNames.CONTENT_LENGTH)) {
        // Present, it is the one value the decoder validated (and normalised): kept as it is.
        headers.set(HttpHeaderNames.CONTENT_LENGTH, length);
      }
    }
  }

  /**
   * Whether the decoder delimits {@code request}'s body as chunked; read before anything is
   * removed. Most requests carry no Transfer-Encoding, and the lookup then builds no value
   * iterator.
   */
  static boolean isChunked(HttpRequest request) {
    return request.headers().contains(HttpHeaderNames.TRANSFER_ENCODING)
        && HttpUtil.isTransferEncodingChunked(request);
  }

  /** A Host value for a request that came without one (HTTP/1.0). */
  static String hostOf(InetSocketAddress address) {
    return address.getHostString() + ":" + address.getPort();
  }
}
