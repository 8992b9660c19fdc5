package io.canaryproxy.config;

import java.util.List;

/**
 * A named pool of backend endpoints.
 *
 * @param endpoints at least one {@code host:port}
 * @param maxConnections most connections to each endpoint from one event loop; at the limit a
 *     request gets 503. Default 1024.
 * @param tls TLS to the endpoints, or {@code null} for plain TCP
 */
public record BackendConfig(List<HostPort> endpoints, int maxConnections, BackendTlsConfig tls) {

  /** A plain-TCP backend. */
  public BackendConfig(List<HostPort> endpoints, int maxConnections) {
    this(endpoints, maxConnections, null);
  }

  /** True when connections to this backend speak TLS. */
  public boolean tlsEnabled() {
    return tls != null && tls.enabled();
  }
}
