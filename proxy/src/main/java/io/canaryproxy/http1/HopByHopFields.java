package io.canaryproxy.http1;

import static io.canaryproxy.http1.Http1RequestHead.HOP_ALWAYS;
import static io.canaryproxy.http1.Http1RequestHead.HOP_NAMED;

import io.netty.buffer.ByteBuf;

/**
 * Marks the fields of a head that concern one connection only (RFC 9110 §7.6.1): {@code
 * Connection}, {@code Keep-Alive}, {@code TE}, {@code Trailer}, {@code Upgrade}, any {@code
 * Proxy-*}, and the fields {@code Connection} names. {@code Connection} can never name away {@code
 * Content-Length}, {@code Transfer-Encoding} or {@code Host}: a body would lose its framing and
 * become a second request at the backend (the rule of {@code forwarding.HopByHop}).
 */
final class HopByHopFields {
  private HopByHopFields() {}

  static void mark(Http1RequestHead h, ByteBuf buf, int base, boolean connection) {
    mark(
        h.fieldCount,
        h.kind,
        h.nameStart,
        h.nameEnd,
        h.valueStart,
        h.valueEnd,
        h.hop,
        buf,
        base,
        connection);
  }

  /** Marks {@code hop[0..n)}; the other arrays describe the fields, offsets from {@code base}. */
  static void mark(
      int n,
      byte[] kind,
      int[] nameStart,
      int[] nameEnd,
      int[] valueStart,
      int[] valueEnd,
      byte[] hop,
      ByteBuf buf,
      int base,
      boolean connection) {
    for (int i = 0; i < n; i++) {
      if (FieldKind.isFixedHopByHop(kind[i])) {
        hop[i] = HOP_ALWAYS;
      }
    }
    if (!connection) {
      return;
    }
    for (int c = 0; c < n; c++) {
      if (kind[c] != FieldKind.CONNECTION) {
        continue;
      }
      int start = base + valueStart[c];
      int end = base + valueEnd[c];
      while (start < end) {
        int comma = Ascii.indexOf(buf, start, end, (byte) ',');
        int e = comma < 0 ? end : comma;
        int s = start;
        while (s < e && (buf.getByte(s) & 0xff) <= ' ') {
          s++;
        }
        while (e > s && (buf.getByte(e - 1) & 0xff) <= ' ') {
          e--;
        }
        if (e > s) {
          markOption(n, nameStart, nameEnd, hop, buf, base, s, e);
        }
        start = comma < 0 ? end : comma + 1;
      }
    }
  }

  private static void markOption(
      int n, int[] nameStart, int[] nameEnd, byte[] hop, ByteBuf buf, int base, int s, int e) {
    if (Ascii.equalsIgnoreCase(buf, s, e, "keep-alive")) {
      return; // removed anyway
    }
    boolean close = Ascii.equalsIgnoreCase(buf, s, e, "close");
    if (!close
        && (Ascii.equalsIgnoreCase(buf, s, e, "content-length")
            || Ascii.equalsIgnoreCase(buf, s, e, "transfer-encoding")
            || Ascii.equalsIgnoreCase(buf, s, e, "host"))) {
      return;
    }
    for (int i = 0; i < n; i++) {
      if (hop[i] != HOP_ALWAYS
          && Ascii.regionsEqualIgnoreCase(buf, base + nameStart[i], base + nameEnd[i], s, e)) {
        hop[i] = close ? HOP_ALWAYS : HOP_NAMED;
      }
    }
  }
}
