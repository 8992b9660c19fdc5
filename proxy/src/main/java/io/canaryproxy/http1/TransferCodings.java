package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;

/**
 * The {@code Transfer-Encoding} fields of a request, read as one list (RFC 9110 §5.3): {@code
 * chunked} must be the final coding and appear once (RFC 9112 §6.1).
 */
final class TransferCodings {
  /** {@code chunked} is not last, or appears more than once. */
  static final int INVALID = -1;

  /** {@code chunked} is the final coding, once. */
  static final int CHUNKED_LAST = 1;

  /** No {@code chunked} at all. */
  static final int NOT_CHUNKED = 2;

  private TransferCodings() {}

  /** Reads the Transfer-Encoding fields among {@code n} fields; offsets are from {@code base}. */
  static int check(int n, byte[] kind, int[] valueStart, int[] valueEnd, ByteBuf buf, int base) {
    boolean seen = false;
    boolean last = false;
    for (int i = 0; i < n; i++) {
      if (kind[i] != FieldKind.TRANSFER_ENCODING) {
        continue;
      }
      int start = base + valueStart[i];
      int end = base + valueEnd[i];
      while (start <= end) {
        int comma = Ascii.indexOf(buf, start, end, (byte) ',');
        int e = comma < 0 ? end : comma;
        int s = start;
        while (s < e && Ascii.isOws(buf.getByte(s))) {
          s++;
        }
        while (e > s && Ascii.isOws(buf.getByte(e - 1))) {
          e--;
        }
        if (s < e) {
          last = Ascii.equalsIgnoreCase(buf, s, e, "chunked");
          if (last) {
            if (seen) {
              return INVALID;
            }
            seen = true;
          }
        }
        if (comma < 0) {
          break;
        }
        start = comma + 1;
      }
    }
    return !seen ? NOT_CHUNKED : last ? CHUNKED_LAST : INVALID;
  }
}
