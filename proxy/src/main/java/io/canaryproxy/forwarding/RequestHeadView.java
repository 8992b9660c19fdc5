package io.canaryproxy.forwarding;

import io.canaryproxy.http.RequestHead;
import io.canaryproxy.routing.RequestView;
import io.canaryproxy.routing.RoutingResult;
import io.canaryproxy.routing.RoutingTable;
import java.net.InetAddress;

/**
 * Adapts the request being routed to {@link RequestView}. One per connection, re-pointed at each
 * request.
 */
final class RequestHeadView implements RequestView {
  private RequestHead request;

  /** The exchange being routed, whose path is made only if a rule reads it. */
  private Exchange exchange;

  private InetAddress remote;
  private ClientOrigin origin;

  /** The connection's origin (TLS client certificate), or {@code null}. */
  void origin(ClientOrigin origin) {
    this.origin = origin;
  }

  /**
   * Routes {@code request} by {@code table} into {@code exchange}'s route, then removes the
   * override header when the route says so (it came from an untrusted address) and, with {@code
   * routing.propagate}, writes the decision into the request for the backend.
   */
  void route(RoutingTable table, RequestHead request, Exchange exchange, InetAddress remote) {
    RoutingResult out = exchange.route;
    this.request = request;
    this.exchange = exchange;
    this.remote = remote;
    table.route(this, out);
    this.request = null;
    this.exchange = null;
    if (out.stripOverride) {
      request.headers().remove(table.config().override().header());
    }
    if (table.propagateHeader() != null) {
      ForwardHeaders.propagate(
          request.headers(), table.propagateHeader(), table.propagateBaggage(), out.label());
    }
  }

  @Override
  public String header(String lowerCaseName) {
    return request.headers().get(lowerCaseName);
  }

  @Override
  public CharSequence headerValue(String lowerCaseName) {
    return request.headers().getView(lowerCaseName);
  }

  @Override
  public String clientCertificate(String field) {
    return origin == null ? null : origin.certificate(field);
  }

  @Override
  public String path() {
    return exchange.path();
  }

  @Override
  public InetAddress remoteAddress() {
    return remote;
  }
}
