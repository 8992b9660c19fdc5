package io.canaryproxy.forwarding;

/**
 * Lifecycle events of the proxy. Metrics, the access log and analysis listen to these instead of
 * being called directly. Callbacks run on event-loop threads: they must be fast, must not block and
 * must not throw.
 */
public interface ProxyListener {
  /**
   * A request finished, successfully or not. The exchange must not be kept after the call returns.
   */
  default void onExchangeComplete(Exchange exchange) {}

  /** A backend failed a request. */
  default void onUpstreamFailure(String backend, Exchange exchange, UpstreamFailure failure) {}

  /** A client connection was opened (+1) or closed (-1). */
  default void onClientConnection(int delta) {}

  /** A backend connection was opened (+1) or closed (-1). */
  default void onBackendConnection(int delta) {}

  /**
   * A backend answered an upgrade request with {@code 101}: the client and backend connections
   * became a byte tunnel serving {@code variant}.
   */
  default void onTunnelOpened(io.canaryproxy.routing.Variant variant) {}

  /** A tunnel opened for {@code variant} closed after {@code durationNanos}. */
  default void onTunnelClosed(io.canaryproxy.routing.Variant variant, long durationNanos) {}

  /**
   * The proxy ended an HTTP/2 client connection with a GOAWAY for a protocol violation or an abuse;
   * {@code type} is one of a bounded set of tags (server.http2.Http2Abuse).
   */
  default void onHttp2GoAway(String type) {}
}
