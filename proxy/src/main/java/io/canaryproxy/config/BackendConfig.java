package io.canaryproxy.config;

import java.util.List;

/**
 * A named pool of backend endpoints.
 *
 * @param endpoints at least one {@code host:port}
 * @param maxConnections most connections to each endpoint from one event loop; at the limit a
 *     request gets 503. Default 1024.
 * @param tls TLS to the endpoints, or {@code null} for plain TCP
 * @param protocol how requests are sent to the endpoints; default {@link BackendProtocol#HTTP1}
 */
public record BackendConfig(
    List<HostPort> endpoints, int maxConnections, BackendTlsConfig tls, BackendProtocol protocol) {

  /** A plain-TCP backend. */
  public BackendConfig(List<HostPort> endpoints, int maxConnections) {
    this(endpoints, maxConnections, null);
  }

  /** An HTTP/1.1 backend. */
  public BackendConfig(List<HostPort> endpoints, int maxConnections, BackendTlsConfig tls) {
    this(endpoints, maxConnections, tls, BackendProtocol.HTTP1);
  }

  public BackendConfig {
    if (protocol == null) {
      protocol = BackendProtocol.HTTP1;
    }
  }

  /** This backend speaking {@code next} instead. */
  public BackendConfig withProtocol(BackendProtocol next) {
    return new BackendConfig(endpoints, maxConnections, tls, next);
  }

  /** True when connections to this backend speak TLS. */
  public boolean tlsEnabled() {
    return tls != null && tls.enabled();
  }
}
