package io.canaryproxy.pool;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.EndpointDirectory;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The backend pools of one event loop, by backend name, for one user of a {@link PoolSet}. Read and
 * replaced only on that loop. A backend that a reload removes is kept for one more generation of
 * backends, so that a request routed by the previous routing table still finds it.
 */
public final class LoopPools {
  private final Connector connector;
  private final BackendPool.Spread spread;
  private final BiFunction<BackendConfig, HostPort, ConnectionTls> tls;
  private Map<String, BackendPool> byName = Map.of();
  private Map<String, BackendPool> retired = Map.of();
  private Map<String, BackendConfig> applied;

  /**
   * @param connector makes this loop's endpoint pools
   * @param spread how a request picks an endpoint of a backend
   * @param tls how connections to an endpoint of a backend speak TLS ({@code null}: plain TCP); the
   *     same backend TLS section and endpoint must give the same instance, so that a reload keeps
   *     the pools whose TLS did not change
   */
  LoopPools(
      Connector connector,
      BackendPool.Spread spread,
      BiFunction<BackendConfig, HostPort, ConnectionTls> tls) {
    this.connector = connector;
    this.spread = spread;
    this.tls = tls;
  }

  /**
   * Installs {@code next} with the current addresses of its endpoints, reusing the endpoint pools
   * whose address and limit did not change. An endpoint pool that is no longer used is retired: its
   * idle connections close now, its busy ones when their request ends. Loop thread only.
   */
  void apply(Map<String, BackendConfig> next, EndpointDirectory directory) {
    Map<String, BackendPool> installed = new HashMap<>();
    Map<EndpointPool, Boolean> kept = new IdentityHashMap<>();
    for (Map.Entry<String, BackendConfig> e : next.entrySet()) {
      BackendConfig config = e.getValue();
      BackendPool old = byName.get(e.getKey());
      boolean multiplexed = config.protocol().multiplexed();
      List<EndpointPool> pools = new ArrayList<>();
      Set<InetSocketAddress> seen = new LinkedHashSet<>();
      for (HostPort hp : config.endpoints()) {
        ConnectionTls endpointTls = tls.apply(config, hp);
        for (InetSocketAddress address : directory.addresses(hp)) {
          if (!seen.add(address)) {
            continue; // every address of every endpoint once, in endpoint order
          }
          EndpointPool reuse =
              old == null
                  ? null
                  : old.find(address, config.maxConnections(), endpointTls, multiplexed);
          EndpointPool pool =
              reuse != null
                  ? reuse
                  : connector.newPool(address, config.maxConnections(), endpointTls, multiplexed);
          kept.put(pool, Boolean.TRUE);
          pools.add(pool);
        }
      }
      installed.put(e.getKey(), new BackendPool(pools.toArray(new EndpointPool[0]), spread));
    }
    for (BackendPool pool : byName.values()) {
      pool.retireExcept(kept);
    }
    if (next != applied) {
      // A new generation of backends (a reload): what it dropped stays reachable until the next
      // one.
      Map<String, BackendPool> nowRetired = new HashMap<>();
      for (Map.Entry<String, BackendPool> e : byName.entrySet()) {
        if (!next.containsKey(e.getKey())) {
          nowRetired.put(e.getKey(), e.getValue());
        }
      }
      retired = nowRetired;
      applied = next;
    }
    byName = installed;
  }

  /**
   * The pool for a backend name, including one retired by the last reload; {@code null} if unknown.
   */
  public BackendPool lookup(String name) {
    BackendPool pool = byName.get(name);
    return pool != null ? pool : retired.get(name);
  }
}
