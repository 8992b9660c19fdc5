package io.canaryproxy.server.http2;

import io.canaryproxy.http.Headers;
import io.canaryproxy.http.ResponseHead;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * Turns the exchange model's response heads and trailers into HTTP/2 header blocks: names lower
 * case, and without the connection-specific fields that HTTP/2 forbids (RFC 9113 §8.2.2), which an
 * HTTP/1.1 backend may still send ({@code Transfer-Encoding} frames its body, not ours).
 */
final class Http2Responses {
  /** Response header naming the failure type on the proxy's own error answers. */
  static final AsciiString ERROR_HEADER = AsciiString.cached("x-canary-proxy-error");

  private Http2Responses() {}

  /** The HEADERS of a response head (final or interim). */
  static Http2Headers head(ResponseHead head) {
    Http2Headers out = new DefaultHttp2Headers(false, head.headers().size() + 1);
    out.status(HttpResponseStatus.valueOf(head.status()).codeAsText());
    copy(head.headers(), out);
    return out;
  }

  /** The HEADERS carrying trailer fields. */
  static Http2Headers trailers(Headers trailers) {
    Http2Headers out = new DefaultHttp2Headers(false, trailers.size());
    copy(trailers, out);
    return out;
  }

  private static void copy(Headers in, Http2Headers out) {
    for (Map.Entry<CharSequence, CharSequence> field : in) {
      AsciiString name = AsciiString.of(field.getKey()).toLowerCase();
      if (name.isEmpty() || name.charAt(0) == ':' || isConnectionSpecific(name)) {
        continue;
      }
      out.add(name, stable(field.getValue()));
    }
  }

  /**
   * {@code value}, or a copy of it when it may change: an HTTP/1.1 head's iterator hands out views
   * that the next field re-points, while a {@code String} or an {@code AsciiString} (the fields of
   * an HTTP/2 backend's head) stays as it is.
   */
  static CharSequence stable(CharSequence value) {
    return value instanceof String || value instanceof AsciiString ? value : value.toString();
  }

  private static boolean isConnectionSpecific(AsciiString name) {
    return name.contentEquals("connection")
        || name.contentEquals("keep-alive")
        || name.contentEquals("proxy-connection")
        || name.contentEquals("transfer-encoding")
        || name.contentEquals("upgrade")
        || name.contentEquals("te")
        || name.contentEquals("trailer");
  }
}
