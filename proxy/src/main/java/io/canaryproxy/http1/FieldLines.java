package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.netty.buffer.ByteBuf;

/**
 * Line finding and field-line checks shared by request heads, response heads and trailers. Each
 * check is the one Netty's {@code HttpObjectDecoder} and its header validators make, in the same
 * order, so that the proxy answers the same status for the same bytes.
 */
final class FieldLines {
  /** {@link #findLineEnd}: the line is not complete yet. */
  static final int INCOMPLETE = -1;

  /** {@link #findLineEnd}: the line is longer than allowed. */
  static final int TOO_LONG = -2;

  /** {@link #findLineEnd}: the line ends in LF without CR (RFC 9112 §2.2). */
  static final int BARE_LF = -3;

  private FieldLines() {}

  /**
   * Finds the LF that ends the line starting at {@code start}, among the bytes up to {@code limit}
   * (what has been received). A line longer than {@code allowance} bytes without its CRLF is too
   * long; so is an incomplete line already longer than that, which is decided on the bytes received
   * so far, as Netty's decoder does.
   *
   * @return the index of the LF, or {@link #INCOMPLETE}, {@link #TOO_LONG}, {@link #BARE_LF}
   */
  static int findLineEnd(ByteBuf buf, int start, int limit, long allowance) {
    int readable = limit - start;
    int searchEnd = (int) Math.min(start + allowance + 2, limit);
    int lf = Ascii.indexOf(buf, start, searchEnd, LF);
    if (lf < 0) {
      return readable > allowance ? TOO_LONG : INCOMPLETE;
    }
    if (lf == start || buf.getByte(lf - 1) != CR) {
      return BARE_LF;
    }
    return (lf - 1) - start > allowance ? TOO_LONG : lf;
  }

  /**
   * Splits the field line {@code [start, end)} (CRLF excluded) at its first colon; writes the
   * colon, the value start and the value end (OWS trimmed) to {@code out[0..2]}.
   *
   * @return false when there is no colon, or whitespace other than SP/HT precedes the value
   */
  static boolean split(ByteBuf buf, int start, int end, int[] out) {
    int colon = Ascii.indexOf(buf, start, end, (byte) ':');
    if (colon < 0) {
      return false;
    }
    int valueStart = colon + 1;
    while (valueStart < end) {
      int b = buf.getByte(valueStart);
      if (!Ascii.isJavaWhitespace(b)) {
        break;
      }
      if (!Ascii.isOws(b)) {
        return false;
      }
      valueStart++;
    }
    int valueEnd = end;
    if (valueStart == end) {
      valueStart = end;
    } else {
      while (valueEnd > valueStart && Ascii.isOws(buf.getByte(valueEnd - 1))) {
        valueEnd--;
      }
    }
    out[0] = colon;
    out[1] = valueStart;
    out[2] = valueEnd;
    return true;
  }

  /** A field name is a non-empty token (RFC 9110 §5.1). */
  static boolean isValidName(ByteBuf buf, int start, int end) {
    if (start == end) {
      return false;
    }
    for (int i = start; i < end; i++) {
      if (!Ascii.isTchar(buf.getByte(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * A field value (OWS already trimmed) is field-content (RFC 9110 §5.5): no control byte but HT
   * inside, none at its start, no DEL.
   */
  static boolean isValidValue(ByteBuf buf, int start, int end) {
    if (start == end) {
      return true;
    }
    int b = buf.getByte(start) & 0xff;
    if (b < 0x21 || b == 0x7f) {
      return false;
    }
    for (int i = start + 1; i < end; i++) {
      b = buf.getByte(i) & 0xff;
      if ((b < 0x20 && b != Ascii.HT) || b == 0x7f) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether a value stays valid once the obs-fold line {@code [start, end)} is joined to it, as
   * Netty joins it: one SP, then the line with every byte up to SP trimmed from both ends.
   */
  static boolean foldKeepsValueValid(ByteBuf buf, int start, int end, boolean valueEmpty) {
    if (valueEmpty) {
      return false; // the joined value would start with SP
    }
    int s = start;
    int e = end;
    while (s < e && (buf.getByte(s) & 0xff) <= 0x20) {
      s++;
    }
    while (e > s && (buf.getByte(e - 1) & 0xff) <= 0x20) {
      e--;
    }
    for (int i = s; i < e; i++) {
      int b = buf.getByte(i) & 0xff;
      if ((b < 0x20 && b != Ascii.HT) || b == 0x7f) {
        return false;
      }
    }
    return true;
  }
}
