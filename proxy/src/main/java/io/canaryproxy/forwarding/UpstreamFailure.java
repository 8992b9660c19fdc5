package io.canaryproxy.forwarding;

import io.netty.handler.codec.http.HttpResponseStatus;

/**
 * Every way a backend can fail a request. Each type maps to one status answered to the client and
 * one metric tag. When the failure happens after the response headers were sent, the client
 * connection is closed instead, so a truncated body is never presented as complete.
 */
public enum UpstreamFailure {
  /** the backend refused the connection or could not be reached */
  CONNECT_FAILED(HttpResponseStatus.BAD_GATEWAY, "connect_failed"),
  /** the connect attempt did not finish within {@code timeouts.connect} */
  CONNECT_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "connect_timeout"),
  /** the backend sent nothing for {@code timeouts.response} while a response was due */
  RESPONSE_TIMEOUT(HttpResponseStatus.GATEWAY_TIMEOUT, "response_timeout"),
  /** every connection the pool may open is busy */
  POOL_EXHAUSTED(HttpResponseStatus.SERVICE_UNAVAILABLE, "pool_exhausted"),
  /** the backend has no address: its endpoint names have not resolved yet */
  NO_ENDPOINTS(HttpResponseStatus.SERVICE_UNAVAILABLE, "no_endpoints"),
  /** the backend closed the connection before the response was complete */
  CONNECTION_CLOSED(HttpResponseStatus.BAD_GATEWAY, "connection_closed"),
  /** the backend's response was not valid HTTP */
  BAD_RESPONSE(HttpResponseStatus.BAD_GATEWAY, "bad_response"),
  /**
   * the TLS handshake with the backend failed: an expired, not yet valid, untrusted or wrong-host
   * certificate, or no common protocol
   */
  TLS_HANDSHAKE_FAILED(HttpResponseStatus.BAD_GATEWAY, "tls_handshake_failed");

  private final HttpResponseStatus status;
  private final String tag;

  UpstreamFailure(HttpResponseStatus status, String tag) {
    this.status = status;
    this.tag = tag;
  }

  /** The status answered to the client when no response headers were sent yet. */
  public HttpResponseStatus status() {
    return status;
  }

  /** The value of the {@code type} metric label. */
  public String tag() {
    return tag;
  }
}
