package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;

/**
 * The chunk-size line of a chunked body (RFC 9112 §7.1): hex digits, then optional chunk
 * extensions. Read as Netty's decoder reads it: digits, optional SP/HT before a {@code ;}, and
 * extensions that are tokens or quoted strings; no 8-bit byte.
 */
final class ChunkLines {
  static final long INVALID = -1;

  private static final int SIZE = 0;
  private static final int EXT_NAME = 1;
  private static final int VAL_START = 2;
  private static final int VAL_QUOTED = 3;
  private static final int VAL_ESCAPE = 4;
  private static final int VAL_QUOTED_END = 5;
  private static final int VAL_TOKEN = 6;
  private static final int ERROR = -1;
  private static final String DELIMITERS = "(),/:<=>?@[\\]{}";

  private ChunkLines() {}

  /** The chunk size the line {@code [start, end)} (CRLF excluded) declares, or {@link #INVALID}. */
  static long size(ByteBuf buf, int start, int end) {
    if (Ascii.indexOf(buf, start, end, (byte) ';') >= 0 && !extensionsValid(buf, start, end)) {
      return INVALID;
    }
    if (start == end) {
      return INVALID;
    }
    long result = 0;
    for (int i = start; i < end; i++) {
      int b = buf.getByte(i);
      int digit = Ascii.hexValue(b);
      if (digit < 0) {
        int j = i;
        while (b == Ascii.SP || b == Ascii.HT) {
          j++;
          if (j >= end) {
            return INVALID;
          }
          b = buf.getByte(j);
        }
        return b == ';' && i != start ? result : INVALID;
      }
      result = result * 16 + digit;
      if (result > Integer.MAX_VALUE) {
        return INVALID;
      }
    }
    return result;
  }

  private static boolean extensionsValid(ByteBuf buf, int start, int end) {
    int state = SIZE;
    for (int i = start; i < end && state != ERROR; i++) {
      state = next(state, buf.getByte(i) & 0xff);
    }
    return state != ERROR && state != VAL_QUOTED && state != VAL_ESCAPE && state != VAL_START;
  }

  private static int next(int state, int b) {
    if (b >= 0x80) {
      return ERROR;
    }
    boolean visible = b >= 0x21 && b <= 0x7e;
    boolean ows = b == ' ' || b == '\t';
    return switch (state) {
      case SIZE -> Ascii.hexValue(b) >= 0 || ows ? SIZE : b == ';' ? EXT_NAME : ERROR;
      case EXT_NAME ->
          (visible && DELIMITERS.indexOf(b) < 0) || ows ? EXT_NAME : b == '=' ? VAL_START : ERROR;
      case VAL_START ->
          ows
              ? VAL_START
              : b == '"' ? VAL_QUOTED : visible && DELIMITERS.indexOf(b) < 0 ? VAL_TOKEN : ERROR;
      case VAL_QUOTED ->
          b == '\\'
              ? VAL_ESCAPE
              : b == '"'
                  ? VAL_QUOTED_END
                  : b == '\t' || b == ' ' || b == '!' || (b >= 0x23 && b <= 0x7e)
                      ? VAL_QUOTED
                      : ERROR;
      case VAL_ESCAPE -> ows || visible ? VAL_QUOTED : ERROR;
      case VAL_QUOTED_END -> ows ? VAL_QUOTED_END : b == ';' ? EXT_NAME : ERROR;
      case VAL_TOKEN ->
          visible && DELIMITERS.indexOf(b) < 0 && b != ';'
              ? VAL_TOKEN
              : b == ';' ? EXT_NAME : ERROR;
      default -> ERROR;
    };
  }
}
