package io.canaryproxy.config;

import java.util.List;

/**
 * A named pool of backend endpoints.
 *
 * @param endpoints at least one {@code host:port}
 * @param maxConnections most connections to each endpoint from one event loop; at the limit a
 *     request gets 503. Default 1024.
 */
public record BackendConfig(List<HostPort> endpoints, int maxConnections) {}
