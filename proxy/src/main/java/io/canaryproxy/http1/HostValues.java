package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;

/**
 * A {@code Host} value is {@code uri-host [ ":" port ]} (RFC 9110 §7.2, RFC 3986 §3.2.2): an IP
 * literal in brackets or registered-name characters, then an optional decimal port; empty is
 * allowed (RFC 9112 §3.2). The same rule as the reference path's {@code
 * server.RequestLines.isValidHost} (tests), on bytes.
 */
final class HostValues {
  private HostValues() {}

  static boolean isValid(ByteBuf buf, int start, int end) {
    int i = start;
    if (i < end && buf.getByte(i) == '[') {
      int close = Ascii.indexOf(buf, start, end, (byte) ']');
      if (close < 0) {
        return false;
      }
      for (i = start + 1; i < close; i++) {
        int c = buf.getByte(i);
        if (!(isUnreserved(c) || isSubDelim(c) || c == ':')) {
          return false;
        }
      }
      i = close + 1;
    } else {
      while (i < end && buf.getByte(i) != ':') {
        int c = buf.getByte(i);
        if (!(isUnreserved(c) || isSubDelim(c) || c == '%')) {
          return false;
        }
        i++;
      }
    }
    if (i == end) {
      return true;
    }
    if (buf.getByte(i) != ':') {
      return false;
    }
    for (i++; i < end; i++) {
      if (!Ascii.isDigit(buf.getByte(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || Ascii.isDigit(c)
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  private static boolean isSubDelim(int c) {
    return c == '!' || c == '$' || c == '&' || c == '\'' || c == '(' || c == ')' || c == '*'
        || c == '+' || c == ',' || c == ';' || c == '=';
  }
}
