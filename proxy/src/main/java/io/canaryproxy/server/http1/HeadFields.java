package io.canaryproxy.server.http1;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The field section of an HTTP/1.1 head kept as its bytes: a copy of the head, the offsets the
 * parser found for each field line, and the proxy's edits recorded beside them (fields removed,
 * fields added). The {@link Headers} methods read and edit that model; {@link #writeFields} writes
 * it back: unchanged field lines copied as they are, removed ones left out, added ones after them
 * (the order in which Netty's header map kept them on the old path: a {@code set} removes a name
 * and appends it). Shared by the request head a client sent ({@link Http1Head}) and the response
 * head a backend sent ({@link Http1BackendResponse}).
 *
 * <p>Values become strings only when something reads them, once per field. The iterator hands out
 * one reused entry whose name is a view over the bytes, valid until the next {@code next()}
 * (whoever keeps a name copies it), and whose value is that string. Event-loop only.
 */
abstract class HeadFields implements Headers {
  static final int NS = 0;
  static final int NE = 1;
  static final int VS = 2;
  static final int VE = 3;
  static final int LE = 4;
  static final int SLOTS = 5;
  private static final byte[] NO_BYTES = {};
  private static final int[] NO_FIELDS = {};
  private static final boolean[] NO_FLAGS = {};
  private static final String[] COMMON_VALUES = {"keep-alive", "close", "chunked"};

  /** The head's bytes from offset 0 (the array may be longer than the head). */
  byte[] bytes;

  /** {@link #SLOTS} offsets a field: name start and end, value start and end, line end. */
  int[] fields;

  /** The capacity in fields: the length of {@link #removed}. */
  boolean[] removed;

  /** Strings made of values, per field; {@code null} until the first. */
  private String[] values;

  /** Whether {@link #values} holds a string for this head (to be cleared for the next). */
  private boolean valuesMade;

  int count;
  private int removedCount;

  /**
   * A bit for each received field's name, from its length and first letter ({@link #nameBit}): a
   * name whose bit is clear was not received, and a lookup skips the fields without reading them
   * (most lookups are for names a head does not carry: {@code X-Forwarded-*}, {@code Upgrade},
   * {@code TE}, {@code Expect}, {@code Transfer-Encoding}...). Removing a field leaves its bit.
   */
  private long nameBits;

  /** Fields the proxy added, as name, value pairs; {@code null} until the first. */
  CharSequence[] added;

  int addedCount;

  /** The minor HTTP version the head was sent in: 0 or 1. */
  int minor;

  /** The iterator to lend to one iteration at a time, or {@code null}. */
  private final HeadFieldIterator shared;

  /**
   * @param shared the iterator to lend when no iteration holds it ({@code null}: a new one each
   *     time)
   * @param headBytes initial room for the head's bytes (0: sized by the first head)
   * @param fieldCount initial room for fields (0: sized by the first head)
   */
  HeadFields(HeadFieldIterator shared, int headBytes, int fieldCount) {
    this.shared = shared;
    this.bytes = headBytes == 0 ? NO_BYTES : new byte[headBytes];
    this.fields = fieldCount == 0 ? NO_FIELDS : new int[fieldCount * SLOTS];
    this.removed = fieldCount == 0 ? NO_FLAGS : new boolean[fieldCount];
  }

  /**
   * Copies the {@code length} bytes of a head at {@code buf}'s reader index and makes room for
   * {@code n} fields, forgetting the previous head's fields and edits; the caller then sets each
   * field ({@link #field}).
   */
  final void load(ByteBuf buf, int length, int n) {
    if (bytes.length < length) {
      bytes = new byte[Math.max(length, bytes.length * 2)];
    }
    buf.getBytes(buf.readerIndex(), bytes, 0, length);
    if (removed.length < n) {
      int cap = Math.max(n, removed.length * 2);
      fields = new int[cap * SLOTS];
      removed = new boolean[cap];
      values = null;
    } else {
      // Most heads had no field removed and no value read as a string: nothing to clear then.
      if (removedCount > 0) {
        Arrays.fill(removed, 0, count, false);
      }
      if (valuesMade) {
        Arrays.fill(values, 0, count, null);
      }
    }
    valuesMade = false;
    count = n;
    removedCount = 0;
    nameBits = 0;
    if (added != null) {
      Arrays.fill(added, 0, 2 * addedCount, null);
    }
    addedCount = 0;
  }

  /**
   * Makes this a copy of {@code from}: its first {@code length} bytes (the head), its fields, the
   * fields it removed and those it added, each added name and value kept as a string or an {@code
   * AsciiString} (a value may be a view of {@code from}'s bytes, which are reused for the next
   * request). Shares no array with {@code from}.
   */
  final void copyFrom(HeadFields from, int length) {
    bytes = Arrays.copyOf(from.bytes, length);
    count = from.count;
    fields = Arrays.copyOf(from.fields, count * SLOTS);
    removed = Arrays.copyOf(from.removed, count);
    removedCount = from.removedCount;
    nameBits = from.nameBits;
    values = null;
    valuesMade = false;
    addedCount = from.addedCount;
    added = addedCount == 0 ? null : new CharSequence[Math.max(8, 2 * addedCount)];
    for (int k = 0; k < 2 * addedCount; k++) {
      CharSequence c = from.added[k];
      added[k] = c instanceof String || c instanceof AsciiString ? c : c.toString();
    }
    minor = from.minor;
  }

  /** Sets field {@code i}'s offsets: name {@code [ns, ne)}, value {@code [vs, ve)}, line end. */
  final void field(int i, int ns, int ne, int vs, int ve, int le) {
    int o = i * SLOTS;
    fields[o + NS] = ns;
    fields[o + NE] = ne;
    fields[o + VS] = vs;
    fields[o + VE] = ve;
    fields[o + LE] = le;
    nameBits |= nameBit(ne - ns, ne > ns ? bytes[ns] : 0);
  }

  /** The bit of a name of {@code length} characters starting with {@code first} (any case). */
  private static long nameBit(int length, int first) {
    return 1L << ((length * 5 + (first | 0x20)) & 63);
  }

  /**
   * The number of received fields to look through for {@code name}: all of them, or none when no
   * received name has its bit ({@link #nameBits}).
   */
  final int received(CharSequence name) {
    int len = name.length();
    return (nameBits & nameBit(len, len > 0 ? name.charAt(0) : 0)) != 0 ? count : 0;
  }

  /** HTTP/1.0 or HTTP/1.1, as the head was sent. */
  public HttpVersion version() {
    return minor == 0 ? HttpVersion.HTTP_1_0 : HttpVersion.HTTP_1_1;
  }

  /** The head's fields: this model itself. */
  public Headers headers() {
    return this;
  }

  // ---- Headers ----

  @Override
  public String get(CharSequence name) {
    for (int i = 0, n = received(name); i < n; i++) {
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
    for (int i = 0, n = received(name); i < n; i++) {
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
    for (int i = 0, n = received(name); i < n; i++) {
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
    for (int i = 0, n = received(name); i < n; i++) {
      if (!removed[i] && nameIs(i, name)) {
        removeField(i);
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
   * The shared iterator when no iteration holds it (the proxy strips hop-by-hop fields from each
   * head, one head at a time), else a new one.
   */
  @Override
  public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
    HeadFieldIterator f = shared != null && !shared.busy() ? shared : new HeadFieldIterator();
    return f.start(this);
  }

  // ---- what the heads build on ----

  /** Leaves the received field {@code i} out of the head. */
  final void removeField(int i) {
    removed[i] = true;
    removedCount++;
  }

  /**
   * Writes the fields kept (the lines as they were, or {@code name: value} when the line had other
   * whitespace around its value), then those added; neither the start line nor the blank line.
   */
  final void writeFields(ByteBuf out) {
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
  }

  /** The line reads {@code name: value} CRLF exactly. */
  private boolean canonical(int o) {
    int ne = fields[o + NE];
    return fields[o + VS] == ne + 2 && bytes[ne + 1] == ' ' && fields[o + LE] == fields[o + VE] + 2;
  }

  /** Field {@code i}'s name is {@code name}, in any case. */
  final boolean nameIs(int i, CharSequence name) {
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

  /** Field {@code i}'s value as a string, made once (the commonest values cost none). */
  final String value(int i) {
    if (values == null) {
      values = new String[removed.length];
    }
    String v = values[i];
    if (v == null) {
      int o = i * SLOTS;
      v = common(fields[o + VS], fields[o + VE]);
      if (v == null) {
        v = text(fields[o + VS], fields[o + VE]);
      }
      values[i] = v;
      valuesMade = true;
    }
    return v;
  }

  /**
   * The constant for a value that most heads carry ({@code keep-alive}, {@code close}), or null.
   */
  private String common(int start, int end) {
    for (String c : COMMON_VALUES) {
      if (end - start == c.length() && regionIs(start, c)) {
        return c;
      }
    }
    return null;
  }

  private boolean regionIs(int start, String s) {
    for (int k = 0; k < s.length(); k++) {
      if (bytes[start + k] != s.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Field {@code i}'s name as a string (a new one each time). */
  final String name(int i) {
    int o = i * SLOTS;
    return text(fields[o + NS], fields[o + NE]);
  }

  /** The bytes {@code [start, end)} as a string (ISO-8859-1). */
  @SuppressWarnings("deprecation")
  final String text(int start, int end) {
    return new String(bytes, 0, start, end - start);
  }

  /** True when a {@code Connection} field lists {@code token} (comma-separated, any case). */
  final boolean connectionLists(AsciiString token) {
    for (int i = 0, n = received(HeaderNames.CONNECTION); i < n; i++) {
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

  /** The comma-separated list {@code [start, end)} holds {@code token} (any case, OWS trimmed). */
  final boolean listsToken(int start, int end, AsciiString token) {
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
}
