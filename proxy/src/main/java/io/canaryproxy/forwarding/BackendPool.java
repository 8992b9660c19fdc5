package io.canaryproxy.forwarding;

import io.canaryproxy.pool.ConnectionTls;
import io.canaryproxy.pool.EndpointPool;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The endpoints of one named backend, as seen from one event loop. Requests are spread by the power
 * of two choices: pick two endpoints at random and use the one with fewer requests in flight, which
 * avoids a slow endpoint much better than round-robin at no extra cost.
 */
final class BackendPool {
  private final EndpointPool[] endpoints;

  BackendPool(EndpointPool[] endpoints) {
    this.endpoints = endpoints;
  }

  /**
   * An endpoint, or {@code null} when the backend has no address (a name that has not resolved
   * yet).
   */
  EndpointPool pick() {
    int n = endpoints.length;
    if (n <= 1) {
      return n == 0 ? null : endpoints[0];
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    return endpoints[a].inFlight() <= endpoints[b].inFlight() ? endpoints[a] : endpoints[b];
  }

  /**
   * The endpoint pool for {@code address} with limit {@code maxConnections} and the same TLS, or
   * {@code null}.
   */
  EndpointPool find(InetSocketAddress address, int maxConnections, ConnectionTls tls) {
    for (EndpointPool e : endpoints) {
      if (e.address().equals(address) && e.maxConnections() == maxConnections && e.tls() == tls) {
        return e;
      }
    }
    return null;
  }

  /**
   * Retires the endpoints not in {@code kept}: their address left the configuration or the DNS
   * answer.
   */
  void retireExcept(Map<EndpointPool, Boolean> kept) {
    for (EndpointPool e : endpoints) {
      if (!kept.containsKey(e)) {
        e.retire();
      }
    }
  }
}
