package io.canaryproxy.bench;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses and prints the durations used on the command line: {@code 500ms}, {@code 10s}, {@code 2m},
 * {@code 1h}.
 */
public final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)(us|ms|s|m|h)");

  private Durations() {}

  /**
   * Parses {@code <number><unit>} with unit {@code us}, {@code ms}, {@code s}, {@code m} or {@code
   * h}; decimals are allowed ({@code 1.5s}). Throws {@link IllegalArgumentException} naming {@code
   * what} on any other input.
   */
  public static Duration parse(String what, String text) {
    Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          what + ": " + text + " (expected: a duration such as 500ms, 10s, 2m or 1h)");
    }
    double amount = Double.parseDouble(m.group(1));
    double nanosPerUnit =
        switch (m.group(2)) {
          case "us" -> 1e3;
          case "ms" -> 1e6;
          case "s" -> 1e9;
          case "m" -> 60e9;
          default -> 3600e9;
        };
    return Duration.ofNanos(Math.round(amount * nanosPerUnit));
  }

  /**
   * Formats a duration compactly for reports: {@code 20ms}, {@code 1.5s}, {@code 2m}, {@code 2h}.
   */
  public static String format(Duration d) {
    long nanos = d.toNanos();
    if (nanos % 3_600_000_000_000L == 0 && nanos > 0) {
      return nanos / 3_600_000_000_000L + "h";
    }
    if (nanos % 60_000_000_000L == 0 && nanos > 0) {
      return nanos / 60_000_000_000L + "m";
    }
    if (nanos >= 1_000_000_000L) {
      return trim(nanos / 1e9) + "s";
    }
    if (nanos >= 1_000_000L || nanos == 0) {
      return trim(nanos / 1e6) + "ms";
    }
    return trim(nanos / 1e3) + "us";
  }

  private static String trim(double v) {
    return v == Math.rint(v)
        ? Long.toString((long) v)
        : String.valueOf(Math.round(v * 1000) / 1000.0);
  }
}
