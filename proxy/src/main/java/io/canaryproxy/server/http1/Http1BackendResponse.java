package io.canaryproxy.server.http1;

import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.http1.Http1RequestHead;
import io.canaryproxy.http1.Http1ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;

/**
 * A backend's HTTP/1.1 response head kept as its bytes (a copy of the head into a buffer the
 * connection reuses) with the offsets {@link io.canaryproxy.http1.ResponseHeadParser} found, and
 * the proxy's edits recorded beside them ({@link HeadFields}, as {@link Http1Head} for requests).
 * One per backend connection, re-pointed at each response: responses on a connection arrive one at
 * a time and the exchange is done with a head before the next one is read (as with the Netty view
 * it replaces).
 *
 * <p>Values become strings only when something reads them, once per field. The iterator hands out
 * one reused entry whose name is a view over the bytes, valid until the next {@code next()}
 * (whoever keeps a name copies it), and whose value is that string. Event-loop only.
 */
public final class Http1BackendResponse extends HeadFields implements ResponseHead {
  private static final byte[] HTTP11_SP = {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' '};

  private int status;
  private int reasonStart;
  private int reasonEnd;
  private String reason;
  private boolean closes;

  /** The parser's hop-by-hop mark of each received field ({@code Http1RequestHead.HOP_*}). */
  private byte[] hop = new byte[16];

  public Http1BackendResponse() {
    super(new HeadFieldIterator(), 512, 16);
  }

  /**
   * Points this view at the head {@code h} found at {@code buf}'s reader index (its bytes are
   * copied: the buffer moves on).
   */
  public Http1BackendResponse reset(Http1ResponseHead h, ByteBuf buf) {
    int length = h.length();
    int n = h.fieldCount();
    load(buf, length, n);
    for (int i = 0; i < n; i++) {
      field(
          i,
          h.nameStart(i),
          h.nameEnd(i),
          h.valueStart(i),
          h.valueEnd(i),
          i + 1 < n ? h.nameStart(i + 1) : length - 2);
    }
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
    if (hop.length < n) {
      hop = new byte[Math.max(n, hop.length * 2)];
    }
    for (int i = 0; i < n; i++) {
      hop[i] = h.hopByHop(i);
    }
    return this;
  }

  /**
   * Leaves out the fields the parser marked hop-by-hop (the rules of {@code HopByHop.strip}, RFC
   * 9110 §7.6.1) rather than having them found again field by field; only while no field was added,
   * as the marks know the received fields alone.
   */
  @Override
  public boolean stripHopByHopAsRead() {
    if (addedCount != 0) {
      return false;
    }
    for (int i = 0; i < count; i++) {
      if (hop[i] != Http1RequestHead.HOP_KEEP && !removed[i]) {
        removeField(i);
      }
    }
    return true;
  }

  // ---- ResponseHead ----

  @Override
  public int status() {
    return status;
  }

  @Override
  public String reason() {
    String r = reason;
    if (r == null) {
      r = text(reasonStart, reasonEnd);
      reason = r;
    }
    return r;
  }

  @Override
  public boolean closesConnection() {
    return closes;
  }

  // ---- writing ----

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
    for (int i = 0, n = received(HeaderNames.TRANSFER_ENCODING); i < n; i++) {
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
    for (int i = 0, n = received(HeaderNames.TRANSFER_ENCODING); i < n; i++) {
      if (!removed[i] && nameIs(i, HeaderNames.TRANSFER_ENCODING)) {
        int o = i * SLOTS;
        if (kept != null && !equalsIgnoreCase(fields[o + VS], fields[o + VE], "chunked")) {
          kept.add(value(i));
        }
        removeField(i);
      }
    }
    if (kept != null) {
      for (String v : kept) {
        add(HeaderNames.TRANSFER_ENCODING, v);
      }
    }
  }

  /**
   * True when the head has a {@code Transfer-Encoding} field and every one it still has is exactly
   * {@code chunked}: a framing the proxy can take off entirely (it decodes the chunks).
   */
  boolean codingIsOnlyChunked() {
    boolean any = false;
    for (int i = 0, n = received(HeaderNames.TRANSFER_ENCODING); i < n; i++) {
      if (!removed[i] && nameIs(i, HeaderNames.TRANSFER_ENCODING)) {
        int o = i * SLOTS;
        if (!equalsIgnoreCase(fields[o + VS], fields[o + VE], "chunked")) {
          return false;
        }
        any = true;
      }
    }
    return any;
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
    for (int i = 0, n = received(name); i < n; i++) {
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
}
