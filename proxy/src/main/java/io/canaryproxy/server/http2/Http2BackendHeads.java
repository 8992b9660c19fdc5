package io.canaryproxy.server.http2;

import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * Heads between the exchange model and an HTTP/2 backend: a request head becomes the HEADERS of a
 * stream (pseudo-header fields from its method, target and {@code Host}; no connection-specific
 * field, RFC 9113 §8.2.2), and the HEADERS the backend answers become a response head or trailers.
 */
final class Http2BackendHeads {
  private static final AsciiString TE = AsciiString.cached("te");
  private static final AsciiString TRAILERS = AsciiString.cached("trailers");
  private static final AsciiString HOST = AsciiString.cached("host");
  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  private static final AsciiString HTTPS = AsciiString.cached("https");
  private static final AsciiString HTTP = AsciiString.cached("http");

  private Http2BackendHeads() {}

  /**
   * The request HEADERS for {@code head}. {@code te: trailers} is always sent: the proxy takes
   * trailers from an HTTP/2 backend (and gRPC servers expect it); whether a client gets them is
   * decided on the client side. {@code content-length} is kept only for a body of known length.
   */
  static Http2Headers request(RequestHead head, boolean tls) {
    Headers in = head.headers();
    // A new block: each pseudo-header field is added, not set (a set first looks for one to
    // replace). Netty's block keeps them ahead of the regular fields whatever the order of adds.
    Http2Headers out = new DefaultHttp2Headers(false);
    out.add(Http2Headers.PseudoHeaderName.METHOD.value(), head.method());
    out.add(Http2Headers.PseudoHeaderName.SCHEME.value(), tls ? HTTPS : HTTP);
    CharSequence host = in.getView(HOST);
    if (host != null) {
      out.add(Http2Headers.PseudoHeaderName.AUTHORITY.value(), Http2Responses.stable(host));
    }
    out.add(
        Http2Headers.PseudoHeaderName.PATH.value(),
        head.method().equals("CONNECT") ? head.target() : pathOf(head.target()));
    if (in instanceof Http2Fields fields) {
      // An HTTP/2 client's block: walked as it is (no view over it), its pseudo-header fields
      // skipped here; its values do not change.
      for (Map.Entry<CharSequence, CharSequence> field : fields.unwrap()) {
        addRegular(out, field.getKey(), field.getValue());
      }
    } else {
      for (Map.Entry<CharSequence, CharSequence> field : in) {
        addRegular(out, field.getKey(), Http2Responses.stable(field.getValue()));
      }
    }
    // Both were left out above: added, not set (a set would look for one to replace first).
    long length = head.bodyLength();
    if (length >= 0) {
      out.addLong(CONTENT_LENGTH, length);
    }
    out.add(TE, TRAILERS);
    return out;
  }

  /**
   * Adds the field {@code name: value} of a request head to {@code out}, its name in lower case,
   * unless it is a pseudo-header field, a connection-specific one, {@code host} (sent as {@code
   * :authority}) or {@code content-length} (set from the body's length).
   */
  private static void addRegular(Http2Headers out, CharSequence field, CharSequence value) {
    AsciiString name = AsciiString.of(field).toLowerCase();
    if (name.isEmpty()
        || name.charAt(0) == ':'
        || isConnectionSpecific(name)
        || name.contentEquals(HOST)
        || name.contentEquals(CONTENT_LENGTH)) {
      return;
    }
    out.add(name, value);
  }

  /** An absolute-form target's path and query (RFC 9113 §8.3.1: {@code :path}); else as is. */
  private static String pathOf(String target) {
    if (target.startsWith("/") || target.equals("*")) {
      return target;
    }
    int scheme = target.indexOf("://");
    if (scheme < 0) {
      return target;
    }
    int slash = target.indexOf('/', scheme + 3);
    return slash < 0 ? "/" : target.substring(slash);
  }

  /**
   * The response head of a backend's HEADERS, or {@code null} when its {@code :status} is missing
   * or not a final or interim status HTTP/2 allows (101 does not exist there, RFC 9113 §8.6).
   */
  static ResponseHead response(Http2Headers h2) {
    CharSequence status = h2.status();
    int code = parseStatus(status);
    if (code < 100 || code == 101) {
      return null;
    }
    return new Response(code, new Http2Fields(h2));
  }

  /**
   * The fields of a trailing HEADERS, as the exchange model carries them: a view of the decoded
   * block (no copy), which an HTTP/2 client is then sent as it is.
   */
  static Headers trailers(Http2Headers h2) {
    return new Http2Fields(h2);
  }

  private static int parseStatus(CharSequence s) {
    if (s == null || s.length() != 3) {
      return -1;
    }
    int code = 0;
    for (int i = 0; i < 3; i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      code = code * 10 + (c - '0');
    }
    return code <= 599 ? code : -1;
  }

  private static boolean isConnectionSpecific(AsciiString name) {
    // The length singles out the candidates (most names: none).
    return switch (name.length()) {
      case 2 -> name.contentEquals("te");
      case 7 -> name.contentEquals("upgrade") || name.contentEquals("trailer");
      case 10 -> name.contentEquals("connection") || name.contentEquals("keep-alive");
      case 14 -> name.contentEquals("http2-settings");
      case 16 -> name.contentEquals("proxy-connection");
      case 17 -> name.contentEquals("transfer-encoding");
      default -> false;
    };
  }

  /**
   * A response head an HTTP/2 backend sent; it never closes a connection by itself. Its fields are
   * a view of the decoded block, which an HTTP/2 client is then sent as it is.
   */
  private static final class Response implements ResponseHead {
    private final int status;
    private final Http2Fields headers;

    Response(int status, Http2Fields headers) {
      this.status = status;
      this.headers = headers;
    }

    @Override
    public int status() {
      return status;
    }

    @Override
    public String reason() {
      // HTTP/2 has no reason phrase (RFC 9113 §8.3.2); an HTTP/1.1 client gets the usual one.
      return HttpResponseStatus.valueOf(status).reasonPhrase();
    }

    @Override
    public HttpVersion version() {
      return HttpVersion.HTTP_2;
    }

    @Override
    public Headers headers() {
      return headers;
    }

    @Override
    public boolean closesConnection() {
      return false;
    }
  }
}
