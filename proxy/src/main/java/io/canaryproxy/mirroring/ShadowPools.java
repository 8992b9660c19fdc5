package io.canaryproxy.mirroring;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.BackendTlsConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.pool.ConnectionTls;
import io.canaryproxy.pool.Connector;
import io.canaryproxy.pool.EndpointPool;
import io.canaryproxy.tls.BackendTls;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keep-alive connections of one event loop to the endpoints of one backend, for mirrored copies
 * only: {@link EndpointPool}s of their own, made by mirroring's {@link Connector}, so a slow shadow
 * can never take a primary connection. Touched only by its event loop. Addresses come from the
 * {@link EndpointDirectory} and are re-read whenever it changed; the addresses of a name are all
 * used, in turn. An address that leaves the answer is retired: idle connections close, busy ones
 * when their copy ends.
 */
final class ShadowPools {
  private final EndpointDirectory directory;
  private final List<HostPort> hosts;
  private final int maxConnections;
  private final BackendTlsConfig tls;
  private final Connector connector;
  private Map<HostPort, List<InetSocketAddress>> seen;
  private Map<InetSocketAddress, EndpointPool> byAddress = new HashMap<>();
  private EndpointPool[] endpoints = new EndpointPool[0];
  private int next;

  ShadowPools(BackendConfig config, EndpointDirectory directory, Connector connector) {
    this.directory = directory;
    this.hosts = config.endpoints();
    this.maxConnections = config.maxConnections();
    this.tls = config.tls();
    this.connector = connector;
  }

  /** The next endpoint in turn, or {@code null} when no endpoint name has resolved yet. */
  EndpointPool pick() {
    Map<HostPort, List<InetSocketAddress>> now = directory.snapshot();
    if (now != seen) {
      refresh(now);
    }
    if (endpoints.length == 0) {
      return null;
    }
    next = next >= endpoints.length - 1 ? 0 : next + 1;
    return endpoints[next];
  }

  private void refresh(Map<HostPort, List<InetSocketAddress>> now) {
    seen = now;
    Map<InetSocketAddress, EndpointPool> fresh = new LinkedHashMap<>();
    for (HostPort hp : hosts) {
      ConnectionTls connectionTls = BackendTls.forEndpoint(tls, hp.host());
      for (InetSocketAddress address : directory.addresses(hp)) {
        EndpointPool e = byAddress.get(address);
        fresh.put(
            address, e != null ? e : connector.newPool(address, maxConnections, connectionTls));
      }
    }
    for (Map.Entry<InetSocketAddress, EndpointPool> e : byAddress.entrySet()) {
      if (!fresh.containsKey(e.getKey())) {
        e.getValue().retire();
      }
    }
    byAddress = fresh;
    endpoints = fresh.values().toArray(new EndpointPool[0]);
  }
}
