package io.canaryproxy.forwarding;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * The backend pools of one event loop, by backend name. Read and replaced only on that loop. A backend that a reload
 * removes is kept for one more generation, so that a request routed by the previous routing table still finds it.
 */
final class LoopPools {
  private Map<String, BackendPool> byName = Map.of();
  private Map<String, BackendPool> retired = Map.of();

  /** Installs {@code next}, reusing the endpoint pools whose address and limit did not change. Loop thread only. */
  void apply(
      ForwardingContext fc,
      EventLoop loop,
      Map<String, BackendConfig> next,
      Map<HostPort, InetSocketAddress> addresses) {
    Map<String, BackendPool> installed = new HashMap<>();
    Map<EndpointPool, Boolean> kept = new IdentityHashMap<>();
    for (Map.Entry<String, BackendConfig> e : next.entrySet()) {
      BackendConfig config = e.getValue();
      BackendPool old = byName.get(e.getKey());
      List<HostPort> endpoints = config.endpoints();
      EndpointPool[] pools = new EndpointPool[endpoints.size()];
      for (int i = 0; i < pools.length; i++) {
        InetSocketAddress address = addresses.get(endpoints.get(i));
        EndpointPool reuse = old == null ? null : old.find(address, config.maxConnections());
        pools[i] = reuse != null ? reuse : fc.newEndpointPool(loop, address, config.maxConnections());
        kept.put(pools[i], Boolean.TRUE);
      }
      installed.put(e.getKey(), new BackendPool(e.getKey(), pools));
    }
    Map<String, BackendPool> nowRetired = new HashMap<>();
    for (Map.Entry<String, BackendPool> e : byName.entrySet()) {
      e.getValue().closeIdleExcept(kept);
      if (!next.containsKey(e.getKey())) {
        nowRetired.put(e.getKey(), e.getValue());
      }
    }
    retired = nowRetired;
    byName = installed;
  }

  /** The pool for a backend name, including one retired by the last reload; {@code null} if unknown. */
  BackendPool lookup(String name) {
    BackendPool pool = byName.get(name);
    return pool != null ? pool : retired.get(name);
  }

  void closeIdle() {
    byName.values().forEach(BackendPool::closeIdle);
    retired.values().forEach(BackendPool::closeIdle);
  }
}
