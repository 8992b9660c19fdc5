package io.canaryproxy.bench.load;

/** Why a request counts as an error; {@link #key()} is the name used in reports and the JSON. */
public enum ErrorType {
  /** The TCP connection could not be opened. */
  CONNECT("connect"),
  /** No complete response within {@code --timeout}; the connection is closed and reopened. */
  TIMEOUT("timeout"),
  /** The request could not be written. */
  WRITE("write"),
  /** The connection closed or sent an unparseable response before the response completed. */
  READ("read"),
  /** A complete response with a 4xx status (its latency is still recorded). */
  STATUS_4XX("status4xx"),
  /** A complete response with a 5xx status (its latency is still recorded). */
  STATUS_5XX("status5xx");

  private final String key;

  ErrorType(String key) {
    this.key = key;
  }

  /** The report and JSON name, for example {@code status5xx}. */
  public String key() {
    return key;
  }

  /**
   * The error type of a complete response with this status, or null when the status is not an
   * error.
   */
  static ErrorType ofStatus(int status) {
    if (status >= 500) {
      return STATUS_5XX;
    }
    return status >= 400 ? STATUS_4XX : null;
  }
}
