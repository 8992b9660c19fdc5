package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.netty.buffer.ByteBuf;

/**
 * One field line of a head read in a single pass over its bytes: where it ends, where its colon is,
 * and what the checks of {@link FieldLines#split}, {@link FieldLines#isValidName} and {@link
 * FieldLines#isValidValue} would say of it, without reading it three times more. Reused by its
 * parser for every line; read it before the next {@link #scan}.
 */
final class FieldLine {
  // What one byte is to the name loop and to the value loop of scan: one table read a byte instead
  // of a compare for each class (the line's bytes are read here once, so this loop is the parser's
  // hottest).
  private static final byte NAME_TCHAR = 0;
  private static final byte NAME_COLON = 1;
  private static final byte NAME_LF = 2;
  private static final byte NAME_OTHER = 3;
  private static final byte[] NAME_CLASS = new byte[256];

  private static final byte VALUE_CONTENT = 0;
  private static final byte VALUE_LF = 1;
  private static final byte VALUE_CONTROL = 2;
  private static final byte[] VALUE_CLASS = new byte[256];

  static {
    for (int b = 0; b < 256; b++) {
      NAME_CLASS[b] =
          b == ':' ? NAME_COLON : b == LF ? NAME_LF : Ascii.isTchar(b) ? NAME_TCHAR : NAME_OTHER;
      // field-content (RFC 9110 §5.5): no control byte but HT, no DEL; obs-text (0x80..0xff) is.
      VALUE_CLASS[b] =
          b == LF
              ? VALUE_LF
              : (b < 0x20 && b != Ascii.HT) || b == 0x7f ? VALUE_CONTROL : VALUE_CONTENT;
    }
  }

  /** The first colon, or -1 when the line has none before its end. */
  int colon;

  /** The value's first byte once the OWS after the colon is skipped (the line's end if none). */
  int valueStart;

  /** The value's end, trailing OWS excluded. */
  int valueEnd;

  /** The name (the bytes before the colon) is a non-empty token (RFC 9110 §5.1). */
  boolean nameValid;

  /** The value is field-content (RFC 9110 §5.5): no control byte but HT, no DEL. */
  boolean valueValid;

  /**
   * True when {@link FieldLines#split} would refuse the line: no colon, or whitespace other than
   * SP/HT before the value.
   */
  boolean splitFails;

  /**
   * Reads the line starting at {@code start} among the bytes up to {@code limit}, as {@link
   * FieldLines#findLineEnd} finds its end (same results, same limit), and fills in the fields above
   * when the line is complete.
   *
   * @return the index of the LF, or {@link FieldLines#INCOMPLETE}, {@link FieldLines#TOO_LONG},
   *     {@link FieldLines#BARE_LF}
   */
  int scan(ByteBuf buf, int start, int limit, long allowance) {
    int searchEnd = (int) Math.min(start + allowance + 2, limit);
    int i = start;
    int lf = -1;
    int colon = -1;
    boolean nameOk = true;
    // The name: up to the colon.
    while (i < searchEnd) {
      byte c = NAME_CLASS[buf.getByte(i) & 0xff];
      if (c != NAME_TCHAR) {
        if (c == NAME_COLON) {
          colon = i++;
          break;
        }
        if (c == NAME_LF) {
          lf = i;
          break;
        }
        nameOk = false;
      }
      i++;
    }
    // Whitespace after the colon: SP and HT are skipped, other whitespace fails the split unless
    // it is the CR that ends the line.
    int vs = -1;
    int leadBad = -1;
    int bad = -1;
    if (colon >= 0) {
      while (i < searchEnd) {
        byte b = buf.getByte(i);
        if (b == LF) {
          lf = i;
          break;
        }
        if (!Ascii.isJavaWhitespace(b)) {
          vs = i;
          break;
        }
        if (!Ascii.isOws(b)) {
          leadBad = i;
          break;
        }
        i++;
      }
      // The rest of the value: the first control byte (but HT) or DEL is noted.
      if (lf < 0) {
        while (i < searchEnd) {
          byte c = VALUE_CLASS[buf.getByte(i) & 0xff];
          if (c != VALUE_CONTENT) {
            if (c == VALUE_LF) {
              lf = i;
              break;
            }
            if (bad < 0) {
              bad = i;
            }
          }
          i++;
        }
      }
    } else if (lf < 0) {
      // Not a field line whatever follows: only its end matters.
      while (i < searchEnd) {
        if (buf.getByte(i) == LF) {
          lf = i;
          break;
        }
        i++;
      }
    }
    if (lf < 0) {
      return limit - start > allowance ? FieldLines.TOO_LONG : FieldLines.INCOMPLETE;
    }
    if (lf == start || buf.getByte(lf - 1) != CR) {
      return FieldLines.BARE_LF;
    }
    int end = lf - 1;
    if (end - start > allowance) {
      return FieldLines.TOO_LONG;
    }
    this.colon = colon;
    if (colon < 0) {
      splitFails = true;
      return lf;
    }
    // The CR that ends the line is neither leading whitespace nor a control byte of the value.
    splitFails = leadBad >= 0 && leadBad < end;
    if (vs < 0 || vs > end) {
      vs = end;
    }
    int ve = end;
    while (ve > vs && Ascii.isOws(buf.getByte(ve - 1))) {
      ve--;
    }
    valueStart = vs;
    valueEnd = ve;
    nameValid = nameOk && colon > start;
    valueValid = bad < 0 || bad >= end;
    return lf;
  }
}
