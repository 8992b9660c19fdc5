package io.canaryproxy.forwarding;

/**
 * Every way a backend can fail a request. Each type maps to one status answered to the client and
 * one metric tag. When the failure happens after the response headers were sent, the client
 * connection is closed instead, so a truncated body is never presented as complete.
 */
public enum UpstreamFailure {
  /** the backend refused the connection or could not be reached */
  CONNECT_FAILED(502, "connect_failed"),
  /** the connect attempt did not finish within {@code timeouts.connect} */
  CONNECT_TIMEOUT(504, "connect_timeout"),
  /** the backend sent nothing for {@code timeouts.response} while a response was due */
  RESPONSE_TIMEOUT(504, "response_timeout"),
  /** every connection the pool may open is busy */
  POOL_EXHAUSTED(503, "pool_exhausted"),
  /** the backend has no address: its endpoint names have not resolved yet */
  NO_ENDPOINTS(503, "no_endpoints"),
  /** the backend closed the connection before the response was complete */
  CONNECTION_CLOSED(502, "connection_closed"),
  /** the backend's response was not valid HTTP */
  BAD_RESPONSE(502, "bad_response"),
  /**
   * the TLS handshake with the backend failed: an expired, not yet valid, untrusted or wrong-host
   * certificate, or no common protocol
   */
  TLS_HANDSHAKE_FAILED(502, "tls_handshake_failed"),
  /**
   * the deadline a gRPC request set ({@code grpc-timeout}) passed before the response was complete
   */
  DEADLINE_EXCEEDED(504, "deadline_exceeded");

  private final int status;
  private final String tag;

  UpstreamFailure(int status, String tag) {
    this.status = status;
    this.tag = tag;
  }

  /** The status answered to the client when no response headers were sent yet. */
  public int status() {
    return status;
  }

  /** The value of the {@code type} metric label. */
  public String tag() {
    return tag;
  }
}
