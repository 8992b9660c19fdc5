package io.canaryproxy.config;

import java.time.Duration;

/**
 * Parses the durations written in the config: a whole number followed by {@code ms}, {@code s},
 * {@code m} or {@code h}.
 */
public final class Durations {
  private Durations() {}

  /**
   * Parses {@code 500ms}, {@code 10s}, {@code 2m} or {@code 1h}.
   *
   * @throws IllegalArgumentException for anything else, including signs, spaces, decimals and
   *     missing units
   */
  public static Duration parse(String s) {
    int digits = 0;
    while (digits < s.length() && s.charAt(digits) >= '0' && s.charAt(digits) <= '9') {
      digits++;
    }
    if (digits == 0 || digits > 15) {
      throw invalid(s);
    }
    long n = Long.parseLong(s, 0, digits, 10);
    switch (s.substring(digits)) {
      case "ms":
        return Duration.ofMillis(n);
      case "s":
        return Duration.ofSeconds(n);
      case "m":
        return Duration.ofMinutes(n);
      case "h":
        return Duration.ofHours(n);
      default:
        throw invalid(s);
    }
  }

  /** Writes {@code d} as the config does: {@code 500ms}, {@code 10s}, {@code 2m}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 60_000 == 0 && ms != 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0 && ms != 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }

  private static IllegalArgumentException invalid(String s) {
    return new IllegalArgumentException(
        "\"" + s + "\" (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }
}
