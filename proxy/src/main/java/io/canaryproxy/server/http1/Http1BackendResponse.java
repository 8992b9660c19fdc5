package io.canaryproxy.server.http1;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.http1.Http1ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A backend's HTTP/1.1 response head kept as its bytes (a copy of the head into a buffer the
 * connection reuses) with the offsets {@link io.canaryproxy.http1.ResponseHeadParser} found, and
 * the proxy's edits recorded beside them (fields removed, fields added), as {@link Http1Head} does
 * for requests. One per backend connection, re-pointed at each response: responses on a connection
 * arrive one at a time and the exchange is done with a head before the next one is read (as with
 * the Netty view it replaces).
 *
 * <p>Values become strings only when something reads them, once per field. The iterator hands out
 * one reused entry whose name is a view over the bytes, valid until the next {@code next()}
 * (whoever keeps a name copies it), and whose value is that string. Event-loop only.
 */
public final class Http1BackendResponse implements ResponseHead, Headers {
  private static final int NS = 0;
  private static final int NE = 1;
  private static final int VS = 2;
  private static final int VE = 3;
  private static final int LE = 4;
  private static final int SLOTS = 5;
  private static final byte[] HTTP11_SP = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' '};

  private byte[] bytes = new byte[512];
  private int[] fields = new int[16 * SLOTS];
  private boolean[] removed = new boolean[16];
  private String[] values = new String[16];
  private int count;
  private int removedCount;
  private CharSequence[] added;
  private int addedCount;
  private final Fields shared = new Fields();

  private int status;
  private int minor;
  private int reasonStart;
  private int reasonEnd;
  private String reason;
  private boolean closes;

  /**
   * Points this view at the head {@code h} found at {@code buf}'s reader index (its bytes are
   * copied: the buffer moves on).
   */
  public Http1BackendResponse reset(Http1ResponseHead h, ByteBuf buf) {
    int length = h.length();
    if (bytes.length < length) {
      bytes = new byte[Math.max(length, bytes.length * 2)];
    }
    buf.getBytes(buf.readerIndex(), bytes, 0, length);
    int n = h.fieldCount();
    if (removed.length < n) {
      int cap = Math.max(n, removed.length * 2);
      fields = new int[cap * SLOTS];
      removed = new boolean[cap];
      values = new String[cap];
    } else {
      Arrays.fill(removed, 0, count, false);
      Arrays.fill(values, 0, count, null);
    }
    for (int i = 0; i < n; i++) {
      int o = i * SLOTS;
      fields[o + NS] = h.nameStart(i);
      fields[o + NE] = h.nameEnd(i);
      fields[o + VS] = h.valueStart(i);
      fields[o + VE] = h.valueEnd(i);
      fields[o + LE] = i + 1 < n ? h.nameStart(i + 1) : length - 2;
    }
    count = n;
    removedCount = 0;
    if (added != null) {
      Arrays.fill(added, 0, 2 * addedCount, null);
    }
    addedCount = 0;
    status = h.status();
    minor = h.minorVersion();
    int rs = h.reasonStart();
    int re = h.reasonEnd();
    while (rs < re && (bytes[rs] == ' ' || bytes[rs] == '\t')) {
      rs++;
    }
    while (re > rs && (bytes[re - 1] == ' ' || bytes[re - 1] == '\t')) {
      re--;
    }
    reasonStart = rs;
    reasonEnd = re;
    reason = null;
    boolean close = connectionLists(HeaderNames.CLOSE);
    closes = close || (minor == 0 && !connectionLists(HeaderNames.KEEP_ALIVE));
    return this;
  }

  // ---- ResponseHead ----

  @Override
  public int status() {
    return status;
  }

  @Override
  @SuppressWarnings("deprecation")
  public String reason() {
    String r = reason;
    if (r == null) {
      r = new String(bytes, 0, reasonStart, reasonEnd - reasonStart);
      reason = r;
    }
    return r;
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
  public boolean closesConnection() {
    return closes;
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

  /** The connection's iterator when no iteration holds it, else a new one. */
  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    Fields f = shared.busy ? new Fields() : shared;
    return f.start(this);
  }

  // ---- writing ----

  /**
   * Writes the fields kept (the backend's lines as they were, or {@code name: value} when the line
   * had other whitespace around its value), then those added (not the status line, nor the blank
   * line).
   */
  void writeFields(ByteBuf out) {
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
      io.netty.buffer.ByteBufUtil.writeAscii(out, added[2 * k]);
      out.writeByte(':');
      out.writeByte(' ');
      io.netty.buffer.ByteBufUtil.writeAscii(out, added[2 * k + 1]);
      out.writeByte('\r');
      out.writeByte('\n');
    }
  }

  /**
   * Writes {@code HTTP/1.1 NNN reason} CRLF, the reason as received without surrounding whitespace
   * (what Netty's decoder and encoder made of it on the old path).
   */
  void writeStatusLine(ByteBuf out) {
    out.writeBytes(HTTP11_SP);
    out.writeByte('0' + status / 100);
    out.writeByte('0' + status / 10 % 10);
    out.writeByte('0' + status % 10);
    out.writeByte(' ');
    out.writeBytes(bytes, reasonStart, reasonEnd - reasonStart);
    out.writeByte('\r');
    out.writeByte('\n');
  }

  /**
   * A response without a body (1xx, 204, 304, the answer to a HEAD) loses every {@code
   * Transfer-Encoding} field whose whole value is {@code chunked}; the others, if any, move after
   * the rest (removed and added again), as Netty's decoder did on the old path.
   */
  public void dropChunkedCoding() {
    boolean any = false;
    boolean others = false;
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, HeaderNames.TRANSFER_ENCODING)) {
        any = true;
        int o = i * SLOTS;
        others |= !equalsIgnoreCase(fields[o + VS], fields[o + VE], "chunked");
      }
    }
    if (!any) {
      return;
    }
    List<String> kept = others ? new ArrayList<>(2) : null;
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, HeaderNames.TRANSFER_ENCODING)) {
        int o = i * SLOTS;
        if (kept != null && !equalsIgnoreCase(fields[o + VS], fields[o + VE], "chunked")) {
          kept.add(value(i));
        }
        removed[i] = true;
        removedCount++;
      }
    }
    if (kept != null) {
      for (String v : kept) {
        add(HeaderNames.TRANSFER_ENCODING, v);
      }
    }
  }

  private boolean equalsIgnoreCase(int start, int end, String lower) {
    if (end - start != lower.length()) {
      return false;
    }
    for (int k = 0; k < lower.length(); k++) {
      if (AsciiString.toLowerCase((char) (bytes[start + k] & 0xff)) != lower.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /**
   * True when a field {@code name} still in the head lists {@code token} in its comma-separated
   * value (any case), as Netty's {@code containsValue(name, token, true)}.
   */
  boolean lists(AsciiString name, AsciiString token) {
    for (int i = 0; i < count; i++) {
      if (!removed[i] && nameIs(i, name)) {
        int o = i * SLOTS;
        if (listsToken(fields[o + VS], fields[o + VE], token)) {
          return true;
        }
      }
    }
    for (int k = 0; k < addedCount; k++) {
      if (AsciiString.contentEqualsIgnoreCase(added[2 * k], name)) {
        CharSequence v = added[2 * k + 1];
        for (String part : v.toString().split(",")) {
          if (token.contentEqualsIgnoreCase(part.trim())) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** The number of bytes the head had: a size hint for writing it. */
  int sizeHint() {
    return fields.length == 0 ? 64 : (count == 0 ? 64 : fields[(count - 1) * SLOTS + LE] + 64);
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

  @SuppressWarnings("deprecation")
  String value(int i) {
    String v = values[i];
    if (v == null) {
      int o = i * SLOTS;
      v = new String(bytes, 0, fields[o + VS], fields[o + VE] - fields[o + VS]);
      values[i] = v;
    }
    return v;
  }

  /** True when a {@code Connection} field lists {@code token} (comma-separated, any case). */
  private boolean connectionLists(AsciiString token) {
    for (int i = 0; i < count; i++) {
      if (!nameIs(i, HeaderNames.CONNECTION)) {
        continue;
      }
      int o = i * SLOTS;
      if (listsToken(fields[o + VS], fields[o + VE], token)) {
        return true;
      }
    }
    return false;
  }

  private boolean listsToken(int start, int end, AsciiString token) {
    int s = start;
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
  private static final class Fields
      implements Iterator<Map.Entry<CharSequence, CharSequence>>,
          Map.Entry<CharSequence, CharSequence> {
    private final Span name = new Span();
    private String value;
    private Http1BackendResponse h;
    private CharSequence addedName;
    private CharSequence addedValue;
    private int next;
    private int valueIndex;
    private int nextAdded;
    private boolean busy;

    Fields start(Http1BackendResponse head) {
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
      busy = false;
      return false;
    }

    @Override
    public Map.Entry<CharSequence, CharSequence> next() {
      if (next < h.count) {
        int o = next * SLOTS;
        name.at(h.bytes, h.fields[o + NS], h.fields[o + NE]);
        valueIndex = next;
        value = null;
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
      if (addedName != null) {
        return addedValue;
      }
      if (value == null) {
        value = h.value(valueIndex); // a string (cached per field): values are kept by copiers
      }
      return value;
    }

    @Override
    public CharSequence setValue(CharSequence v) {
      throw new UnsupportedOperationException();
    }
  }
}
