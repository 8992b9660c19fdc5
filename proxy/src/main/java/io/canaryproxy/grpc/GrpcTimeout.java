package io.canaryproxy.grpc;

/**
 * The {@code grpc-timeout} request header: 1 to 8 ASCII digits and one unit, {@code H} hours,
 * {@code M} minutes, {@code S} seconds, {@code m} milliseconds, {@code u} microseconds, {@code n}
 * nanoseconds (gRPC over HTTP/2, "Requests"). A value of any other form is malformed, and the proxy
 * then ignores the header (as Envoy's router does: the configured timeouts apply alone).
 */
public final class GrpcTimeout {
  private static final int MAX_DIGITS = 8;
  private static final long MAX_VALUE = 99_999_999L;

  private GrpcTimeout() {}

  /**
   * The timeout in nanoseconds (saturated at {@link Long#MAX_VALUE}), or -1 when {@code value} is
   * absent or malformed.
   */
  public static long parseNanos(CharSequence value) {
    if (value == null) {
      return -1;
    }
    int n = value.length();
    if (n < 2 || n > MAX_DIGITS + 1) {
      return -1;
    }
    long amount = 0;
    for (int i = 0; i < n - 1; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      amount = amount * 10 + (c - '0');
    }
    long unitNanos =
        switch (value.charAt(n - 1)) {
          case 'H' -> 3_600_000_000_000L;
          case 'M' -> 60_000_000_000L;
          case 'S' -> 1_000_000_000L;
          case 'm' -> 1_000_000L;
          case 'u' -> 1_000L;
          case 'n' -> 1L;
          default -> -1L;
        };
    if (unitNanos < 0) {
      return -1;
    }
    return amount > Long.MAX_VALUE / unitNanos ? Long.MAX_VALUE : amount * unitNanos;
  }

  /**
   * Writes {@code nanos} (at least 0) as a header value in the finest unit whose amount fits in 8
   * digits, rounded down, so that the backend's deadline never ends after the proxy's.
   */
  public static String format(long nanos) {
    long v = Math.max(0, nanos);
    if (v <= MAX_VALUE) {
      return v + "n";
    }
    long[] units = {1_000L, 1_000_000L, 1_000_000_000L, 60_000_000_000L, 3_600_000_000_000L};
    char[] names = {'u', 'm', 'S', 'M', 'H'};
    for (int i = 0; i < units.length; i++) {
      long amount = v / units[i];
      if (amount <= MAX_VALUE) {
        return amount + String.valueOf(names[i]);
      }
    }
    return MAX_VALUE + "H";
  }
}
