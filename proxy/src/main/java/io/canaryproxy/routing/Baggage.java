package io.canaryproxy.routing;

/**
 * The one W3C Baggage member ({@code key=value;properties}, members separated by commas) that
 * carries the routing decision. Only that member is read or rewritten; every other member, with its
 * properties and order, passes through as received.
 */
public final class Baggage {
  private Baggage() {}

  /**
   * The value of member {@code key} in a {@code baggage} header, without its properties and
   * surrounding whitespace, or {@code null} when absent.
   */
  static String value(String baggage, String key) {
    if (baggage == null || !baggage.contains(key)) {
      return null;
    }
    int start = 0;
    int n = baggage.length();
    while (start <= n) {
      int comma = baggage.indexOf(',', start);
      int end = comma < 0 ? n : comma;
      int eq = baggage.indexOf('=', start);
      if (eq > start && eq < end && baggage.substring(start, eq).trim().equals(key)) {
        int semi = baggage.indexOf(';', eq);
        int valueEnd = semi < 0 || semi > end ? end : semi;
        return baggage.substring(eq + 1, valueEnd).trim();
      }
      if (comma < 0) {
        break;
      }
      start = comma + 1;
    }
    return null;
  }

  /**
   * {@code baggage} (the comma-joined values of every {@code baggage} field, or {@code null}) with
   * each member {@code key} removed and, when {@code value} is not {@code null}, {@code key=value}
   * appended as the last member; {@code null} when nothing is left.
   */
  public static String rewrite(String baggage, String key, String value) {
    StringBuilder out = new StringBuilder();
    if (baggage != null) {
      int start = 0;
      int n = baggage.length();
      while (start <= n) {
        int comma = baggage.indexOf(',', start);
        int end = comma < 0 ? n : comma;
        String member = baggage.substring(start, end).trim();
        int eq = member.indexOf('=');
        String name = eq < 0 ? member : member.substring(0, eq).trim();
        if (!member.isEmpty() && !name.equals(key)) {
          out.append(out.length() == 0 ? "" : ",").append(member);
        }
        if (comma < 0) {
          break;
        }
        start = comma + 1;
      }
    }
    if (value != null) {
      out.append(out.length() == 0 ? "" : ",").append(key).append('=').append(value);
    }
    return out.length() == 0 ? null : out.toString();
  }
}
