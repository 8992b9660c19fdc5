package io.canaryproxy.config;

/**
 * Parses the sizes written in the config: plain bytes, or a whole number of {@code KiB}, {@code
 * MiB} or {@code GiB}.
 */
public final class Sizes {
  private Sizes() {}

  /**
   * Parses {@code 1048576}, {@code 64KiB}, {@code 10MiB} or {@code 1GiB} into bytes.
   *
   * @throws IllegalArgumentException for anything else (decimal units such as {@code KB}, signs,
   *     spaces, decimals) or a value beyond {@link Long#MAX_VALUE}
   */
  public static long parse(String s) {
    int digits = 0;
    while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
      digits++;
    }
    if (digits == 0 || digits > 18) {
      throw invalid(s);
    }
    long n = Long.parseLong(s, 0, digits, 10);
    int shift;
    switch (s.substring(digits)) {
      case "":
        shift = 0;
        break;
      case "KiB":
        shift = 10;
        break;
      case "MiB":
        shift = 20;
        break;
      case "GiB":
        shift = 30;
        break;
      default:
        throw invalid(s);
    }
    if (n > (Long.MAX_VALUE >> shift)) {
      throw invalid(s);
    }
    return n << shift;
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException(
        "\"" + s + "\" (expected: a size in bytes such as 1048576, 64KiB, 10MiB or 1GiB)");
  }
}
