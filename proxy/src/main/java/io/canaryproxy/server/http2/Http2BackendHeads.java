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
   * decided on the client side. {@code content-length} is kept only for a body of known length. An
   * HTTP/2 client's block becomes these HEADERS where it lies ({@link #asRequest}); other heads are
   * copied into a new block.
   */
  static Http2Headers request(RequestHead head, boolean tls) {
    Headers in = head.headers();
    // An HTTP/2 client's block, sent as it is when it can be (Netty's own block keeps a pseudo-
    // header field set in it ahead of the regular ones).
    if (in instanceof Http2Fields fields
        && fields.hostIsAuthority()
        && fields.unwrap() instanceof DefaultHttp2Headers block
        && !head.method().equals("CONNECT")) {
      int found = regularFields(block);
      if (found != UNFIT) {
        return asRequest(block, found == CONTENT_LENGTH_FOUND, head.bodyLength(), tls);
      }
    }
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

  /** What {@link #regularFields} found: nothing to leave out, a content-length, or unfit. */
  private static final int NOTHING_FOUND = 0;

  private static final int CONTENT_LENGTH_FOUND = 1;
  private static final int UNFIT = 2;

  /**
   * Whether an HTTP/2 client's block (its view, {@link Http2Fields#request}, keeps no {@code host}
   * field of its own) can be sent as it is, after {@link #asRequest}: {@link #UNFIT} when it holds
   * a field that the copy in {@link #request} leaves out (a pseudo-header field other than the four
   * a request carries, a connection-specific field, {@code host}, or a {@code te} the exchange
   * left: then it is copied), else whether it holds a {@code content-length}. Its names are lower
   * case: Netty's decoder refuses others (RFC 9113 §8.2.1) and the exchange's changes go through
   * the view, which lower-cases them.
   */
  private static int regularFields(Http2Headers block) {
    int found = NOTHING_FOUND;
    for (Map.Entry<CharSequence, CharSequence> field : block) {
      CharSequence name = field.getKey();
      int n = name.length();
      if (n > 0 && name.charAt(0) == ':') {
        if (!isRequestPseudoHeader(name)) {
          return UNFIT; // a :protocol (RFC 8441) the decoder lets through: the copy leaves it out
        }
        continue;
      }
      if (n == 4 && AsciiString.contentEquals(name, HOST)) {
        return UNFIT;
      }
      if (n == 14 && AsciiString.contentEquals(name, CONTENT_LENGTH)) {
        found = CONTENT_LENGTH_FOUND;
      } else if (isConnectionSpecific(name)) {
        return UNFIT;
      }
    }
    return found;
  }

  /**
   * Turns an HTTP/2 client's block into the request HEADERS in place, as {@link #request} would
   * copy it: its {@code :method}, {@code :path} and {@code :authority} (its host) are the head's
   * already; {@code :scheme} is the backend's, {@code content-length} the body's known length, and
   * {@code te: trailers} comes last. The exchange does not change the head once it was sent (a
   * mirror took its own copy before), and sent again (a resend), it is copied: its {@code te} makes
   * it {@link #UNFIT} to be sent as it is.
   */
  private static Http2Headers asRequest(
      Http2Headers block, boolean hasContentLength, long length, boolean tls) {
    AsciiString scheme = tls ? HTTPS : HTTP;
    CharSequence sent = block.scheme();
    if (sent == null || !AsciiString.contentEquals(sent, scheme)) {
      block.scheme(scheme);
    }
    if (hasContentLength) {
      block.remove(CONTENT_LENGTH);
    }
    if (length >= 0) {
      block.addLong(CONTENT_LENGTH, length);
    }
    block.add(TE, TRAILERS);
    return block;
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

  /** {@code :method}, {@code :scheme}, {@code :authority} or {@code :path} (RFC 9113 §8.3.1). */
  private static boolean isRequestPseudoHeader(CharSequence name) {
    return switch (name.length()) {
      case 5 -> AsciiString.contentEquals(name, ":path");
      case 7 ->
          AsciiString.contentEquals(name, ":method") || AsciiString.contentEquals(name, ":scheme");
      case 10 -> AsciiString.contentEquals(name, ":authority");
      default -> false;
    };
  }

  private static boolean isConnectionSpecific(CharSequence name) {
    // The length singles out the candidates (most names: none).
    return switch (name.length()) {
      case 2 -> AsciiString.contentEquals(name, "te");
      case 7 ->
          AsciiString.contentEquals(name, "upgrade") || AsciiString.contentEquals(name, "trailer");
      case 10 ->
          AsciiString.contentEquals(name, "connection")
              || AsciiString.contentEquals(name, "keep-alive");
      case 14 -> AsciiString.contentEquals(name, "http2-settings");
      case 16 -> AsciiString.contentEquals(name, "proxy-connection");
      case 17 -> AsciiString.contentEquals(name, "transfer-encoding");
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
