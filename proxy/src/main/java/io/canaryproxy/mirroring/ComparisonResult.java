package io.canaryproxy.mirroring;

/**
 * The outcome of comparing one shadow (or baseline) response with the primary's.
 *
 * @param statusMatch the status codes are equal
 * @param headersMatch every compared header has the same value on both sides (absent equals absent)
 * @param body how the bodies compared
 * @param detail what differed, for the mismatch samples: status codes, header names, body sizes or
 *     the first JSON path that differs; never a header value; "" when everything matched
 */
public record ComparisonResult(
    boolean statusMatch, boolean headersMatch, Body body, String detail) {
  /** How the bodies compared. */
  public enum Body {
    MATCH,
    MISMATCH,
    /** one body was larger than {@code compare.maxBodyBytes}, so the bodies were not compared */
    SKIPPED
  }

  /** True when no compared part differed. */
  public boolean matches() {
    return statusMatch && headersMatch && body != Body.MISMATCH;
  }
}
