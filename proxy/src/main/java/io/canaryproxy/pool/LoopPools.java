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

/**
 * The backend pools of one event loop, by backend name, for one user of a {@link PoolSet}. Read and
 * replaced only on that loop. A backend that a reload removes is kept for one more generation of
 * backends, so that a request routed by the previous routing table still finds it.
 */
public final class LoopPools {
  private final Connector connector;
  private final BackendPool.Spread spread;
  private Map<String, BackendPool> byName = Map.of();
  private Map<String, BackendPool> retired = Map.of();
  private Map<String, BackendConfig> applied;

  /**
   * @param connector makes this loop's endpoint pools
   * @param spread how a request picks an endpoint of a backend
   */
  LoopPools(Connector connector, BackendPool.Spread spread) {
    this.connector = connector;
    this.spread = spread;
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
      List<EndpointPool> pools = new ArrayList<>();
      for (InetSocketAddress address : addresses(config, directory)) {
        EndpointPool reuse = old == null ? null : old.find(address, config.maxConnections());
        EndpointPool pool =
            reuse != null ? reuse : connector.newPool(address, config.maxConnections());
        kept.put(pool, Boolean.TRUE);
        pools.add(pool);
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

  /** Every address of every endpoint of a backend, each once, in endpoint order. */
  private static Set<InetSocketAddress> addresses(
      BackendConfig config, EndpointDirectory directory) {
    Set<InetSocketAddress> out = new LinkedHashSet<>();
    for (HostPort hp : config.endpoints()) {
      out.addAll(directory.addresses(hp));
    }
    return out;
  }

  /**
   * The pool for a backend name, including one retired by the last reload; {@code null} if unknown.
   */
  public BackendPool lookup(String name) {
    BackendPool pool = byName.get(name);
    return pool != null ? pool : retired.get(name);
  }
}
