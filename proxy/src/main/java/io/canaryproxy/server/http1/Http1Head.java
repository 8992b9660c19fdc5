package io.canaryproxy.server.http1;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http1.Http1RequestHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A request head as the client sent it, kept as its bytes (a copy of the head, nothing parsed into
 * objects) with the offsets {@link io.canaryproxy.http1.RequestHeadParser} found, and the edits the
 * proxy makes to it recorded beside them: fields removed, fields added. The head a backend receives
 * is written from those bytes ({@link #writeTo}): unchanged field lines are copied as they are,
 * removed ones left out, added ones written after them, which is the order in which Netty's header
 * map kept them on the old path (a {@code set} removes a name and appends it).
 *
 * <p>Values are turned into strings only when something reads them ({@link #get}), once per field.
 * The iterator hands out one reused entry whose name and value are views over the bytes: valid
 * until the next call to {@code next()}, copied by whoever keeps them ({@link #copy} and {@link
 * NettyHeaders#toNetty} do). Event-loop only.
 */
public final class Http1Head implements RequestHead, Headers {
  private static final int NS = 0;
  private static final int NE = 1;
  private static final int VS = 2;
  private static final int VE = 3;
  private static final int LE = 4;
  private static final int SLOTS = 5;
  private static final byte[] HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final AsciiString EXPECT = AsciiString.cached("expect");

  private final byte[] bytes;
  private final int[] fields;
  private final int count;
  private final boolean[] removed;
  private String[] values;

  /** Fields the proxy added, as name, value pairs; {@code null} until the first. */
  private CharSequence[] added;

  private int addedCount;

  /** The connection's iterator, lent to one iteration at a time (see {@link #iterator}). */
  private final Fields shared;

  private int removedCount;

  private final String method;
  private final String target;
  private final int minor;
  private final long bodyLength;
  private final boolean keepAlive;
  private final boolean upgrade;
  private final boolean expectsContinue;
  private final int methodStart;
  private final int methodEnd;
  private final int targetStart;
  private final int targetEnd;

  private Http1Head(Http1RequestHead h, ByteBuf buf, long bodyLength, Fields shared) {
    this.shared = shared;
    int base = buf.readerIndex();
    this.bytes = new byte[h.length()];
    buf.getBytes(base, bytes);
    this.count = h.fieldCount();
    this.fields = new int[count * SLOTS];
    this.removed = new boolean[count];
    for (int i = 0; i < count; i++) {
      int o = i * SLOTS;
      fields[o + NS] = h.nameStart(i);
      fields[o + NE] = h.nameEnd(i);
      fields[o + VS] = h.valueStart(i);
      fields[o + VE] = h.valueEnd(i);
      fields[o + LE] = h.lineEnd(i);
    }
    this.methodStart = h.methodStart();
    this.methodEnd = h.methodEnd();
    this.method = methodOf(bytes, methodStart, methodEnd);
    this.targetStart = h.targetStart();
    this.targetEnd = h.targetEnd();
    this.target = new String(bytes, 0, targetStart, targetEnd - targetStart);
    this.minor = h.minorVersion();
    this.bodyLength = bodyLength;
    this.expectsContinue = h.expectsContinue();
    this.upgrade = has(HeaderNames.UPGRADE);
    boolean close = connectionLists(HeaderNames.CLOSE);
    this.keepAlive = !close && (minor == 1 || connectionLists(HeaderNames.KEEP_ALIVE));
  }

  /**
   * The head {@code h} found at {@code buf}'s reader index (copied: the buffer may be reused), with
   * the body length the decoder frames the request by: -1 chunked, else the byte count.
   */
  static Http1Head of(Http1RequestHead h, ByteBuf buf, long bodyLength) {
    return new Http1Head(h, buf, bodyLength, null);
  }

  /** As above, iterating with {@code iterator} when it is free (one per connection). */
  static Http1Head of(Http1RequestHead h, ByteBuf buf, long bodyLength, Fields iterator) {
    return new Http1Head(h, buf, bodyLength, iterator);
  }

  /** An iterator for the heads of one connection to share: HopByHop walks every head's fields. */
  static Fields newIterator() {
    return new Fields();
  }

  /** The common methods as constants: most heads cost no method string. */
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

  @SuppressWarnings("deprecation")
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
    return target;
  }

  @Override
  public HttpVersion version() {
    return minor == 0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
  }

  @Override
  public Headers headers() {
    return this;
  }

  @Override
  public long bodyLength() {
    return bodyLength;
  }

  /** A copy on Netty's types (a mirrored request outlives the connection's buffers). */
  @Override
  public RequestHead copy() {
    HttpHeaders h = new DefaultHttpHeaders();
    for (int i = 0; i < count; i++) {
      if (!removed[i]) {
        h.add(string(NS, NE, i), value(i));
      }
    }
    for (int k = 0; k < addedCount; k++) {
      h.add(added[2 * k].toString(), added[2 * k + 1].toString());
    }
    io.netty.handler.codec.http.HttpVersion v =
        minor == 0
            ? io.netty.handler.codec.http.HttpVersion.HTTP_1_0
            : io.netty.handler.codec.http.HttpVersion.HTTP_1_1;
    return Http1Request.of(new DefaultHttpRequest(v, HttpMethod.valueOf(method), target, h))
        .withBodyLength(bodyLength);
  }

  // ---- Headers ----

  @Override
  public String get(CharSequence name) {
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, name)) {
        return value(i);
      }
    }
    for (int k = 0; k < addedCount; k++) {
      if (AsciiString.contentEqualsIgnoreCase(added[2 * k], name)) {
        return added[2 * k + 1].toString();
      }
    }
    return null;
  }

  @Override
  public List<String> getAll(CharSequence name) {
    List<String> all = new ArrayList<>(2);
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, name)) {
        all.add(value(i));
      }
    }
    for (int k = 0; k < addedCount; k++) {
      if (AsciiString.contentEqualsIgnoreCase(added[2 * k], name)) {
        all.add(added[2 * k + 1].toString());
      }
    }
    return all;
  }

  @Override
  public boolean contains(CharSequence name) {
    return has(name);
  }

  private boolean has(CharSequence name) {
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, name)) {
        return true;
      }
    }
    for (int k = 0; k < addedCount; k++) {
      if (AsciiString.contentEqualsIgnoreCase(added[2 * k], name)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void set(CharSequence name, CharSequence value) {
    remove(name);
    add(name, value);
  }

  @Override
  public void add(CharSequence name, CharSequence value) {
    if (added == null) {
      added = new CharSequence[8];
    } else if (2 * addedCount == added.length) {
      added = Arrays.copyOf(added, added.length * 2);
    }
    added[2 * addedCount] = name;
    added[2 * addedCount + 1] = value;
    addedCount++;
  }

  @Override
  public void remove(CharSequence name) {
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, name)) {
        removed[i] = true;
        removedCount++;
      }
    }
    int kept = 0;
    for (int k = 0; k < addedCount; k++) {
      if (!AsciiString.contentEqualsIgnoreCase(added[2 * k], name)) {
        added[2 * kept] = added[2 * k];
        added[2 * kept + 1] = added[2 * k + 1];
        kept++;
      }
    }
    for (int k = kept; k < addedCount; k++) {
      added[2 * k] = null;
      added[2 * k + 1] = null;
    }
    addedCount = kept;
  }

  @Override
  public int size() {
    return count - removedCount + addedCount;
  }

  /**
   * The connection's shared iterator when no iteration holds it (the proxy strips hop-by-hop fields
   * from each head, one head at a time), else a new one.
   */
  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    Fields f = shared != null && !shared.busy ? shared : new Fields();
    return f.start(this);
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
    int runStart = -1;
    int runEnd = -1;
    for (int i = 0; i < count; i++) {
      if (removed[i]) {
        continue;
      }
      int o = i * SLOTS;
      int ls = fields[o + NS];
      if (canonical(o)) {
        if (runEnd != ls) {
          if (runStart >= 0) {
            out.writeBytes(bytes, runStart, runEnd - runStart);
          }
          runStart = ls;
        }
        runEnd = fields[o + LE];
        continue;
      }
      if (runStart >= 0) {
        out.writeBytes(bytes, runStart, runEnd - runStart);
        runStart = -1;
        runEnd = -1;
      }
      out.writeBytes(bytes, ls, fields[o + NE] - ls);
      out.writeByte(':');
      out.writeByte(' ');
      out.writeBytes(bytes, fields[o + VS], fields[o + VE] - fields[o + VS]);
      out.writeByte('\r');
      out.writeByte('\n');
    }
    if (runStart >= 0) {
      out.writeBytes(bytes, runStart, runEnd - runStart);
    }
    for (int k = 0; k < addedCount; k++) {
      ByteBufUtil.writeAscii(out, added[2 * k]);
      out.writeByte(':');
      out.writeByte(' ');
      ByteBufUtil.writeAscii(out, added[2 * k + 1]);
      out.writeByte('\r');
      out.writeByte('\n');
    }
    out.writeByte('\r');
    out.writeByte('\n');
  }

  /** A size hint for the buffer {@link #writeTo} fills. */
  public int sizeHint() {
    return bytes.length + 128;
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

  /** The line reads {@code name: value} CRLF exactly. */
  private boolean canonical(int o) {
    int ne = fields[o + NE];
    return fields[o + VS] == ne + 2 && bytes[ne + 1] == ' ' && fields[o + LE] == fields[o + VE] + 2;
  }

  // ---- field access ----

  private boolean nameIs(int i, CharSequence name) {
    int o = i * SLOTS;
    int s = fields[o + NS];
    int len = fields[o + NE] - s;
    if (len != name.length()) {
      return false;
    }
    for (int k = 0; k < len; k++) {
      if (AsciiString.toLowerCase((char) (bytes[s + k] & 0xff))
          != AsciiString.toLowerCase(name.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  private String value(int i) {
    if (values == null) {
      values = new String[count];
    }
    String v = values[i];
    if (v == null) {
      v = string(VS, VE, i);
      values[i] = v;
    }
    return v;
  }

  @SuppressWarnings("deprecation")
  private String string(int from, int to, int i) {
    int o = i * SLOTS;
    return new String(bytes, 0, fields[o + from], fields[o + to] - fields[o + from]);
  }

  /** True when a {@code Connection} field lists {@code token} (comma-separated, any case). */
  private boolean connectionLists(AsciiString token) {
    for (int i = 0; i < count; i++) {
      if (!nameIs(i, HeaderNames.CONNECTION)) {
        continue;
      }
      int o = i * SLOTS;
      int s = fields[o + VS];
      int end = fields[o + VE];
      while (s <= end) {
        int e = s;
        while (e < end && bytes[e] != ',') {
          e++;
        }
        int a = s;
        int b = e;
        while (a < b && (bytes[a] == ' ' || bytes[a] == '\t')) {
          a++;
        }
        while (b > a && (bytes[b - 1] == ' ' || bytes[b - 1] == '\t')) {
          b--;
        }
        if (b - a == token.length() && regionEqualsIgnoreCase(a, token)) {
          return true;
        }
        s = e + 1;
      }
    }
    return false;
  }

  private boolean regionEqualsIgnoreCase(int start, AsciiString token) {
    for (int k = 0; k < token.length(); k++) {
      if (AsciiString.toLowerCase((char) (bytes[start + k] & 0xff))
          != AsciiString.toLowerCase(token.charAt(k))) {
        return false;
      }
    }
    return true;
  }

  /** Expect is answered (or, in HTTP/1.0, dropped) by the proxy, as nginx does: never forwarded. */
  void dropExpect() {
    remove(EXPECT);
  }

  /** A view of {@code bytes[start, end)} as characters; re-pointed, never copied. */
  private static final class Span implements CharSequence {
    private byte[] b;
    private int start;
    private int length;

    Span at(byte[] b, int start, int end) {
      this.b = b;
      this.start = start;
      this.length = end - start;
      return this;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public char charAt(int index) {
      return (char) (b[start + index] & 0xff);
    }

    @Override
    public CharSequence subSequence(int s, int e) {
      return toString().substring(s, e);
    }

    @Override
    @SuppressWarnings("deprecation")
    public String toString() {
      return new String(b, 0, start, length);
    }
  }

  /** The fields kept, then those added; one reused entry (see the class comment). */
  static final class Fields
      implements Iterator<Map.Entry<CharSequence, CharSequence>>,
          Map.Entry<CharSequence, CharSequence> {
    private final Span name = new Span();
    private final Span value = new Span();
    private Http1Head h;
    private CharSequence addedName;
    private CharSequence addedValue;
    private int next;
    private int nextAdded;

    /** Held by an iteration that has not reached its end. */
    private boolean busy;

    Fields start(Http1Head head) {
      h = head;
      busy = true;
      next = 0;
      nextAdded = 0;
      addedName = null;
      skipRemoved();
      return this;
    }

    private void skipRemoved() {
      while (next < h.count && h.removed[next]) {
        next++;
      }
    }

    @Override
    public boolean hasNext() {
      if (next < h.count || nextAdded < h.addedCount) {
        return true;
      }
      busy = false; // done: the next iteration may take it
      return false;
    }

    @Override
    public Map.Entry<CharSequence, CharSequence> next() {
      if (next < h.count) {
        int o = next * SLOTS;
        name.at(h.bytes, h.fields[o + NS], h.fields[o + NE]);
        value.at(h.bytes, h.fields[o + VS], h.fields[o + VE]);
        addedName = null;
        next++;
        skipRemoved();
        return this;
      }
      if (nextAdded >= h.addedCount) {
        throw new NoSuchElementException();
      }
      addedName = h.added[2 * nextAdded];
      addedValue = h.added[2 * nextAdded + 1];
      nextAdded++;
      return this;
    }

    @Override
    public CharSequence getKey() {
      return addedName != null ? addedName : name;
    }

    @Override
    public CharSequence getValue() {
      return addedName != null ? addedValue : value;
    }

    @Override
    public CharSequence setValue(CharSequence v) {
      throw new UnsupportedOperationException();
    }
  }
}
