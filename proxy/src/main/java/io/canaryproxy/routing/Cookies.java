package io.canaryproxy.routing;

/**
 * Finds one cookie in a {@code Cookie} request header ({@code name=value; name2=value2}, RFC 6265
 * section 5.4) by scanning the string: no regex, no split, and no allocation until the caller asks
 * for the value.
 */
final class Cookies {
  private Cookies() {}

  /**
   * Locates the first cookie called {@code name} (case-sensitive). Surrounding spaces and tabs and
   * one pair of double quotes around the value are not part of it.
   *
   * @return {@code -1} when absent, else the value's {@code start << 32 | end} in {@code header}
   */
  static long find(String header, String name) {
    int n = header.length();
    int i = 0;
    while (i < n) {
      int semi = header.indexOf(';', i);
      int end = semi < 0 ? n : semi;
      int nameStart = skipSpace(header, i, end);
      int eq = header.indexOf('=', nameStart);
      if (eq >= 0 && eq < end) {
        int nameEnd = trimEnd(header, nameStart, eq);
        if (nameEnd - nameStart == name.length()
            && header.regionMatches(nameStart, name, 0, name.length())) {
          int valueStart = skipSpace(header, eq + 1, end);
          int valueEnd = trimEnd(header, valueStart, end);
          if (valueEnd - valueStart >= 2
              && header.charAt(valueStart) == '"'
              && header.charAt(valueEnd - 1) == '"') {
            valueStart++;
            valueEnd--;
          }
          return (long) valueStart << 32 | valueEnd;
        }
      }
      i = end + 1;
    }
    return -1;
  }

  /** The value of cookie {@code name}, or {@code null} when absent or empty. */
  static String value(String header, String name) {
    long range = find(header, name);
    if (range < 0) {
      return null;
    }
    int start = (int) (range >>> 32);
    int end = (int) range;
    return start == end ? null : header.substring(start, end);
  }

  /** True when cookie {@code name} is present and its value equals {@code expected}. */
  static boolean valueEquals(String header, String name, String expected) {
    long range = find(header, name);
    if (range < 0) {
      return false;
    }
    int start = (int) (range >>> 32);
    int len = (int) range - start;
    return len == expected.length() && header.regionMatches(start, expected, 0, len);
  }

  private static int skipSpace(String s, int from, int to) {
    while (from < to && (s.charAt(from) == ' ' || s.charAt(from) == '\t')) {
      from++;
    }
    return from;
  }

  private static int trimEnd(String s, int from, int to) {
    while (to > from && (s.charAt(to - 1) == ' ' || s.charAt(to - 1) == '\t')) {
      to--;
    }
    return to;
  }
}
