package io.canaryproxy.metrics;

/** Which latency of an exchange a histogram holds. Both are recorded in microseconds. */
public enum Measure {
  /** First request byte to last response byte ({@code Exchange.totalNanos()}). */
  TOTAL("total"),
  /**
   * Request head sent to the backend until the response head arrived ({@code
   * Exchange.upstreamNanos()}).
   */
  UPSTREAM("upstream");

  private final String label;

  Measure(String label) {
    this.label = label;
  }

  /** The lower-case name used in the admin API, e.g. {@code ?measure=upstream}. */
  public String label() {
    return label;
  }
}
