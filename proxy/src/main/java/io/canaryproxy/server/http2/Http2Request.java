package io.canaryproxy.server.http2;

import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.Tokens;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.Map;

/**
 * {@link RequestHead} for one HTTP/2 request, built from the stream's HEADERS: the pseudo-header
 * fields become method, target and {@code Host} (RFC 9113 §8.3.1), split {@code cookie} fields are
 * joined again (§8.2.3), and everything that an HTTP/1.1 backend would read differently from what
 * the HTTP/2 client meant is refused here: a method or path with bytes a request line cannot carry,
 * a field value with a control character (CR, LF and NUL among them) or with whitespace at either
 * end, an invalid {@code content-length}. Each field is validated once, here. The fields are the
 * block Netty decoded, seen through {@link Http2Fields} (no copy), cookies joined in it: its {@code
 * :authority}, when present, is the request's {@code host} ({@link Http2Fields#request}), and a
 * {@code host} field sent beside it is removed.
 */
public final class Http2Request implements RequestHead {
  private static final AsciiString COOKIE = AsciiString.cached("cookie");
  private static final AsciiString CONTENT_LENGTH = AsciiString.cached("content-length");
  private static final AsciiString HOST = AsciiString.cached("host");

  private final String method;
  private final String target;
  private final Http2Headers block;
  private final Http2Fields headers;
  private final long bodyLength;

  private Http2Request(
      String method, String target, Http2Headers block, boolean hostIsAuthority, long bodyLength) {
    this.method = method;
    this.target = target;
    this.block = block;
    this.headers = hostIsAuthority ? Http2Fields.request(block) : new Http2Fields(block);
    this.bodyLength = bodyLength;
  }

  /** Thrown for a request the proxy must not forward; carries the status to answer. */
  public static final class Refused extends Exception {
    private final int status;

    Refused(int status, String reason) {
      super(reason, null, false, false);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /**
   * The request of a HEADERS frame; {@code endStream} when it has no body.
   *
   * @throws Refused with 400 for a malformed request, 501 for {@code CONNECT}
   */
  public static Http2Request of(Http2Headers h2, boolean endStream) throws Refused {
    CharSequence method = h2.method();
    CharSequence path = h2.path();
    if (method == null || !Tokens.isToken(method)) {
      throw new Refused(400, "missing or invalid :method");
    }
    if (AsciiString.contentEquals(method, "CONNECT")) {
      throw new Refused(501, "CONNECT is not supported");
    }
    if (path == null || path.length() == 0 || !isTarget(path)) {
      throw new Refused(400, "missing or invalid :path");
    }
    int cookies = 0;
    boolean host = false;
    for (Map.Entry<CharSequence, CharSequence> field : h2) {
      CharSequence name = field.getKey();
      CharSequence value = field.getValue();
      if (name.length() > 0 && name.charAt(0) == ':') {
        continue; // pseudo-header fields: read above
      }
      if (!Tokens.isToken(name) || !isFieldValue(value)) {
        throw new Refused(400, "invalid header field");
      }
      if (AsciiString.contentEqualsIgnoreCase(name, COOKIE)) {
        cookies++;
      } else if (name.length() == 4 && AsciiString.contentEquals(name, HOST)) {
        host = true;
      }
    }
    if (cookies > 1) {
      // RFC 9113 §8.2.3: the crumbs are one field again for an HTTP/1.1 backend (and routing).
      StringBuilder joined = new StringBuilder();
      for (CharSequence crumb : h2.getAll(COOKIE)) {
        (joined.length() == 0 ? joined : joined.append("; ")).append(crumb);
      }
      h2.remove(COOKIE);
      h2.add(COOKIE, joined.toString());
    }
    CharSequence authority = h2.authority();
    if (authority != null) {
      if (!isFieldValue(authority) || authority.length() == 0) {
        throw new Refused(400, "invalid :authority");
      }
      if (host) {
        h2.remove(HOST); // RFC 9113 §8.3.1: :authority replaces Host
      }
    }
    long length = endStream ? 0 : contentLength(h2);
    return new Http2Request(methodName(method), path.toString(), h2, authority != null, length);
  }

  /** {@code method} as a {@code String}: the usual ones as constants, without a copy. */
  private static String methodName(CharSequence method) {
    if (AsciiString.contentEquals(method, "GET")) {
      return "GET";
    }
    if (AsciiString.contentEquals(method, "POST")) {
      return "POST";
    }
    return method.toString();
  }

  /** The {@code content-length} the client sent, or -1 (streamed) when it sent none. */
  private static long contentLength(Http2Headers h2) throws Refused {
    java.util.List<CharSequence> values = h2.getAll(CONTENT_LENGTH);
    if (values.isEmpty()) {
      return -1;
    }
    if (values.size() > 1) {
      throw new Refused(400, "more than one content-length");
    }
    CharSequence v = values.get(0);
    if (v.isEmpty() || v.length() > 18) {
      throw new Refused(400, "invalid content-length");
    }
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        throw new Refused(400, "invalid content-length");
      }
    }
    return Long.parseLong(v.toString());
  }

  /**
   * A request target an HTTP/1.1 request line can carry: origin form or {@code *}, visible ASCII.
   */
  private static boolean isTarget(CharSequence s) {
    if (s.charAt(0) != '/' && !(s.length() == 1 && s.charAt(0) == '*')) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * No control character but HTAB (RFC 9110 §5.5), as the HTTP/1.1 parser requires: CR, LF or NUL
   * would end or split a field line in HTTP/1. No whitespace at either end (RFC 9113 §8.2.1).
   */
  private static boolean isFieldValue(CharSequence s) {
    int n = s.length();
    if (n > 0 && (isBlank(s.charAt(0)) || isBlank(s.charAt(n - 1)))) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (c < 0x20 && c != '\t' || c == 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static boolean isBlank(char c) {
    return c == ' ' || c == '\t';
  }

  @Override
  public String method() {
    return method;
  }

  @Override
  public String target() {
    return target;
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
  public long bodyLength() {
    return bodyLength;
  }

  @Override
  public RequestHead copy() {
    return new Http2Request(
        method,
        target,
        new DefaultHttp2Headers(false, block.size()).add(block),
        headers.hostIsAuthority(),
        bodyLength);
  }
}
