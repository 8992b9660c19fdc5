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

  /**
   * The HEADERS of a response head (final or interim), which the exchange handed over with its
   * hop-by-hop fields removed ({@code Downstream}). The head of an HTTP/2 backend is its own
   * decoded block ({@link Http2Fields}), with the exchange's changes: sent as it is. It holds none
   * of the connection-specific fields: Netty's decoder refuses a backend's {@code connection},
   * {@code keep-alive}, {@code proxy-connection}, {@code transfer-encoding}, {@code upgrade} and a
   * {@code te} other than {@code trailers} (RFC 9113 §8.2.2), and the exchange removed {@code te}
   * and {@code trailer} as hop-by-hop; so they are not looked for again.
   */
  static Http2Headers head(ResponseHead head) {
    AsciiString status = HttpResponseStatus.valueOf(head.status()).codeAsText();
    if (head.headers() instanceof Http2Fields fields) {
      Http2Headers out = fields.unwrap();
      if (!AsciiString.contentEquals(out.status(), status)) {
        out.status(status); // its own :status, the only pseudo-header field a response carries
      }
      return out;
    }
    Http2Headers out = new DefaultHttp2Headers(false, head.headers().size() + 1);
    out.status(status);
    copy(head.headers(), out);
    return out;
  }

  /** The HEADERS carrying trailer fields; an HTTP/2 backend's own block is sent as it is. */
  static Http2Headers trailers(Headers trailers) {
    if (trailers instanceof Http2Fields fields) {
      Http2Headers out = fields.unwrap();
      for (Http2Headers.PseudoHeaderName p : Http2Headers.PseudoHeaderName.values()) {
        out.remove(p.value()); // trailers carry none (RFC 9113 §8.1)
      }
      removeConnectionSpecific(out);
      return out;
    }
    Http2Headers out = new DefaultHttp2Headers(false, trailers.size());
    copy(trailers, out);
    return out;
  }

  /**
   * Removes what {@link #copy} leaves out of a block it does not copy: trailers are not stripped as
   * hop-by-hop by the exchange, and Netty's decoder lets {@code te: trailers} and {@code trailer}
   * through.
   */
  private static void removeConnectionSpecific(Http2Headers out) {
    for (AsciiString name : CONNECTION_SPECIFIC) {
      out.remove(name);
    }
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

  /** The fields HTTP/2 forbids (RFC 9113 §8.2.2), and {@code trailer}, hop-by-hop in HTTP/1.1. */
  private static final AsciiString[] CONNECTION_SPECIFIC = {
    AsciiString.cached("connection"),
    AsciiString.cached("keep-alive"),
    AsciiString.cached("proxy-connection"),
    AsciiString.cached("transfer-encoding"),
    AsciiString.cached("upgrade"),
    AsciiString.cached("te"),
    AsciiString.cached("trailer")
  };

  private static boolean isConnectionSpecific(AsciiString name) {
    for (AsciiString n : CONNECTION_SPECIFIC) {
      if (name.contentEquals(n)) {
        return true;
      }
    }
    return false;
  }
}
