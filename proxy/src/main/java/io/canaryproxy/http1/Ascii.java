package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;

/** Byte classes of RFC 9110/9112 and region comparisons over a {@link ByteBuf}, allocation-free. */
final class Ascii {
  static final byte CR = '\r';
  static final byte LF = '\n';
  static final byte SP = ' ';
  static final byte HT = '\t';

  private static final boolean[] TCHAR = new boolean[256];

  static {
    for (int c = '0'; c <= '9'; c++) {
      TCHAR[c] = true;
    }
    for (int c = 'a'; c <= 'z'; c++) {
      TCHAR[c] = true;
      TCHAR[c - 32] = true;
    }
    for (char c : "!#$%&'*+-.^_`|~".toCharArray()) {
      TCHAR[c] = true;
    }
  }

  private Ascii() {}

  /** A token character (RFC 9110 §5.6.2). */
  static boolean isTchar(int b) {
    return TCHAR[b & 0xff];
  }

  /** SP or HTAB: optional whitespace (RFC 9110 §5.6.3). */
  static boolean isOws(int b) {
    return b == SP || b == HT;
  }

  /**
   * What Java's {@code Character.isWhitespace} says of a byte read as a signed value, as Netty's
   * decoder asks it: HT, LF, VT, FF, CR, the separators 0x1C..0x1F, and SP.
   */
  static boolean isJavaWhitespace(int b) {
    return (b >= 0x09 && b <= 0x0d) || (b >= 0x1c && b <= 0x20);
  }

  /** The separators Netty tolerates between request-line parts: SP, HT, VT, FF and CR. */
  static boolean isLineSeparator(int b) {
    return b == SP || b == HT || b == 0x0b || b == 0x0c || b == CR;
  }

  static boolean isDigit(int b) {
    return b >= '0' && b <= '9';
  }

  /** The value of a hex digit, or -1. */
  static int hexValue(int b) {
    if (b >= '0' && b <= '9') {
      return b - '0';
    }
    if (b >= 'a' && b <= 'f') {
      return b - 'a' + 10;
    }
    if (b >= 'A' && b <= 'F') {
      return b - 'A' + 10;
    }
    return -1;
  }

  /** True when {@code buf[start, end)} equals {@code lower} (lower-case ASCII), ignoring case. */
  static boolean equalsIgnoreCase(ByteBuf buf, int start, int end, String lower) {
    int n = lower.length();
    if (end - start != n) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      int b = buf.getByte(start + i);
      if (b >= 'A' && b <= 'Z') {
        b += 32;
      }
      if (b != lower.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  /** True when {@code buf[start, end)} starts with {@code lower}, ignoring case. */
  static boolean startsWithIgnoreCase(ByteBuf buf, int start, int end, String lower) {
    return end - start >= lower.length()
        && equalsIgnoreCase(buf, start, start + lower.length(), lower);
  }

  /** True when two regions hold the same bytes, ignoring ASCII case. */
  static boolean regionsEqualIgnoreCase(ByteBuf buf, int s1, int e1, int s2, int e2) {
    if (e1 - s1 != e2 - s2) {
      return false;
    }
    for (int i = 0; i < e1 - s1; i++) {
      int a = buf.getByte(s1 + i);
      int b = buf.getByte(s2 + i);
      if (a != b && toLower(a) != toLower(b)) {
        return false;
      }
    }
    return true;
  }

  static int toLower(int b) {
    return b >= 'A' && b <= 'Z' ? b + 32 : b;
  }

  /**
   * The first index in {@code [from, to)} holding {@code value}, or -1. A plain loop: the ranges
   * searched here are a line or a value, where {@code ByteBuf.indexOf}'s word-at-a-time search
   * costs more to set up than it saves (it was the top frame of the request path's profile).
   */
  static int indexOf(ByteBuf buf, int from, int to, byte value) {
    for (int i = from; i < to; i++) {
      if (buf.getByte(i) == value) {
        return i;
      }
    }
    return -1;
  }
}
