package io.canaryproxy.server.http1;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.RequestTargets;
import io.canaryproxy.http1.Http1RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * A request head as the client sent it, kept as its bytes (a copy of the head, nothing parsed into
 * objects) with the offsets {@link io.canaryproxy.http1.RequestHeadParser} found, and the edits the
 * proxy makes to it recorded beside them ({@link HeadFields}). The head a backend receives is
 * written from those bytes ({@link #writeTo}): the request line, then the fields as {@link
 * HeadFields#writeFields} writes them.
 *
 * <p>Values are turned into strings only when something reads them ({@link #get}), once per field.
 * The iterator hands out one reused entry whose name is a view over the bytes: valid until the next
 * call to {@code next()}, copied by whoever keeps it ({@link #copy} and {@link
 * NettyHeaders#toNetty} do). Event-loop only.
 */
public final class Http1Head extends HeadFields implements RequestHead {
  private static final byte[] HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final AsciiString EXPECT = AsciiString.cached("expect");

  private int length;
  private String method;
  private String target;
  private long bodyLength;
  private boolean keepAlive;
  private boolean upgrade;
  private boolean expectsContinue;
  private int methodStart;
  private int methodEnd;
  private int targetStart;
  private int targetEnd;

  /** The view {@link #addFromFirst} lends first for each request, or {@code null} until then. */
  private ReceivedValue view;

  private boolean viewLent;

  /**
   * The view {@link #getView} lends (one lent at a time: routing reads one key), or {@code null}.
   */
  private ReceivedValue getView;

  private Http1Head(HeadFieldIterator shared) {
    super(shared, 0, 0);
  }

  /**
   * Makes this the head {@code h} found at {@code buf}'s reader index (copied: the buffer may be
   * reused), with the body length the decoder frames the request by: -1 chunked, else the byte
   * count. What the previous head held is forgotten: only a head no exchange holds any more is
   * reset ({@link Http1RequestDecoder#recycle}).
   */
  Http1Head reset(Http1RequestHead h, ByteBuf buf, long bodyLength) {
    this.length = h.length();
    int n = h.fieldCount();
    load(buf, length, n);
    for (int i = 0; i < n; i++) {
      field(i, h.nameStart(i), h.nameEnd(i), h.valueStart(i), h.valueEnd(i), h.lineEnd(i));
    }
    this.methodStart = h.methodStart();
    this.methodEnd = h.methodEnd();
    this.method = methodOf(bytes, methodStart, methodEnd);
    this.targetStart = h.targetStart();
    this.targetEnd = h.targetEnd();
    this.target = null; // made when asked for
    this.viewLent = false; // load() forgot the added fields
    this.minor = h.minorVersion();
    this.bodyLength = bodyLength;
    this.expectsContinue = h.expectsContinue();
    this.upgrade = contains(HeaderNames.UPGRADE);
    boolean close = connectionLists(HeaderNames.CLOSE);
    this.keepAlive = !close && (minor == 1 || connectionLists(HeaderNames.KEEP_ALIVE));
    return this;
  }

  /**
   * The head {@code h} found at {@code buf}'s reader index (copied: the buffer may be reused), with
   * the body length the decoder frames the request by: -1 chunked, else the byte count.
   */
  static Http1Head of(Http1RequestHead h, ByteBuf buf, long bodyLength) {
    return new Http1Head(null).reset(h, buf, bodyLength);
  }

  /** As above, iterating with {@code iterator} when it is free (one per connection). */
  static Http1Head of(
      Http1RequestHead h, ByteBuf buf, long bodyLength, HeadFieldIterator iterator) {
    return new Http1Head(iterator).reset(h, buf, bodyLength);
  }

  /** An iterator for the heads of one connection to share: HopByHop walks every head's fields. */
  static HeadFieldIterator newIterator() {
    return new HeadFieldIterator();
  }

  /** The common methods as constants: most heads cost no method string. */
  @SuppressWarnings("deprecation")
  private static String methodOf(byte[] b, int start, int end) {
    int len = end - start;
    String m =
        switch (len) {
          case 3 -> b[start] == 'G' ? "GET" : "PUT";
          case 4 -> b[start] == 'P' ? "POST" : "HEAD";
          case 5 -> b[start] == 'P' ? "PATCH" : "TRACE";
          case 6 -> "DELETE";
          case 7 -> "OPTIONS";
          default -> null;
        };
    if (m != null && regionEquals(b, start, end, m)) {
      return m;
    }
    return new String(b, 0, start, len);
  }

  private static boolean regionEquals(byte[] b, int start, int end, String s) {
    if (end - start != s.length()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (b[start + i] != s.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  // ---- what the HTTP/1 adapters read ----

  /** HTTP/1.1 without {@code Connection: close}, or HTTP/1.0 with {@code keep-alive} (as sent). */
  boolean keepAlive() {
    return keepAlive;
  }

  /** The client sent an {@code Upgrade} field. */
  boolean upgrade() {
    return upgrade;
  }

  /** An HTTP/1.1 request with {@code Expect: 100-continue}. */
  boolean expectsContinue() {
    return expectsContinue;
  }

  boolean isHead() {
    return "HEAD".equals(method);
  }

  // ---- RequestHead ----

  @Override
  public String method() {
    return method;
  }

  @Override
  public String target() {
    String t = target;
    if (t == null) {
      t = text(targetStart, targetEnd);
      target = t;
    }
    return t;
  }

  /** As {@link RequestTargets#pathOf}; an origin-form target's path is cut from the bytes. */
  @Override
  public String path() {
    if (bytes[targetStart] != '/') {
      return RequestTargets.pathOf(target());
    }
    int end = targetStart;
    while (end < targetEnd && bytes[end] != '?' && bytes[end] != '#') {
      end++;
    }
    return end == targetEnd ? target() : text(targetStart, end);
  }

  @Override
  public long bodyLength() {
    return bodyLength;
  }

  /**
   * As {@link io.canaryproxy.http.Headers#addFromFirst}, lending the received value as a view of
   * the head's bytes (its string is made only if something reads it as one): {@code
   * X-Forwarded-Host} costs no copy of {@code Host}.
   */
  @Override
  public boolean addFromFirst(CharSequence from, CharSequence to) {
    for (int i = 0, n = received(from); i < n; i++) {
      if (!removed[i] && nameIs(i, from)) {
        ReceivedValue v = view != null && !viewLent ? view : new ReceivedValue(this);
        if (view == null) {
          view = v;
        }
        viewLent |= v == view;
        add(to, v.of(i));
        return true;
      }
    }
    return super.addFromFirst(from, to); // only a field the proxy added can hold it
  }

  /**
   * As {@link io.canaryproxy.http.Headers#getView}: a received value is lent as a view of the
   * head's bytes, the same view each time (routing hashes the user key from it, then forgets it or
   * keeps it for the exchange, while this head holds its request).
   */
  @Override
  public CharSequence getView(CharSequence name) {
    for (int i = 0, n = received(name); i < n; i++) {
      if (!removed[i] && nameIs(i, name)) {
        if (getView == null) {
          getView = new ReceivedValue(this);
        }
        return getView.of(i);
      }
    }
    return super.getView(name); // only a field the proxy added can hold it
  }

  /**
   * A copy kept as bytes like this head (a mirrored request outlives the connection's buffers): the
   * head's bytes, fields and edits, written to a backend as this head would be ({@link #writeTo}).
   */
  @Override
  public RequestHead copy() {
    Http1Head c = new Http1Head(null);
    c.copyFrom(this, length);
    c.length = length;
    c.method = method;
    c.target = target;
    c.bodyLength = bodyLength;
    c.keepAlive = keepAlive;
    c.upgrade = upgrade;
    c.expectsContinue = expectsContinue;
    c.methodStart = methodStart;
    c.methodEnd = methodEnd;
    c.targetStart = targetStart;
    c.targetEnd = targetEnd;
    return c;
  }

  // ---- writing ----

  /**
   * Writes the head a backend receives, {@code method SP target SP HTTP/1.1}, the fields kept (the
   * client's lines as they were, or {@code name: value} when the line had other whitespace), then
   * those the proxy added, then the blank line. An absolute-form target without a path gets {@code
   * /}, as Netty's encoder wrote it.
   */
  public void writeTo(ByteBuf out) {
    out.writeBytes(bytes, methodStart, methodEnd - methodStart);
    out.writeByte(' ');
    writeTarget(out);
    out.writeBytes(HTTP11_CRLF, 1, HTTP11_CRLF.length - 1);
    writeFields(out);
    out.writeByte('\r');
    out.writeByte('\n');
  }

  /** A size hint for the buffer {@link #writeTo} fills. */
  public int sizeHint() {
    return length + 128;
  }

  private void writeTarget(ByteBuf out) {
    int start = targetStart;
    int end = targetEnd;
    if (bytes[start] == '/' || indexOf(start, end, "://") < 0) {
      out.writeBytes(bytes, start, end - start);
      out.writeByte(' ');
      return;
    }
    int authority = indexOf(start, end, "://") + 3;
    int query = indexOf(authority, end, "?");
    int pathEnd = query < 0 ? end : query;
    boolean hasPath = indexOf(authority, pathEnd, "/") >= 0;
    if (hasPath) {
      out.writeBytes(bytes, start, end - start);
    } else if (query < 0) {
      out.writeBytes(bytes, start, end - start);
      out.writeByte('/');
    } else {
      out.writeBytes(bytes, start, query - start);
      out.writeByte('/');
      out.writeBytes(bytes, query, end - query);
    }
    out.writeByte(' ');
  }

  private int indexOf(int start, int end, String s) {
    outer:
    for (int i = start; i + s.length() <= end; i++) {
      for (int k = 0; k < s.length(); k++) {
        if (bytes[i + k] != s.charAt(k)) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Expect is answered (or, in HTTP/1.0, dropped) by the proxy, as nginx does: never forwarded. */
  void dropExpect() {
    remove(EXPECT);
  }

  /**
   * Field {@code i}'s value as the head holds it, read from its bytes. Valid as long as the head
   * holds the request it was lent for, which outlives the field added with it: a head reset for the
   * next request forgets its added fields first.
   */
  static final class ReceivedValue implements CharSequence {
    private final Http1Head head;
    private int field;

    ReceivedValue(Http1Head head) {
      this.head = head;
    }

    ReceivedValue of(int i) {
      field = i;
      return this;
    }

    private int start() {
      return head.fields[field * SLOTS + VS];
    }

    @Override
    public int length() {
      return head.fields[field * SLOTS + VE] - start();
    }

    @Override
    public char charAt(int index) {
      return (char) (head.bytes[start() + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int s, int e) {
      return toString().substring(s, e);
    }

    /** The value's string, made once per field. */
    @Override
    public String toString() {
      return head.value(field);
    }
  }
}
