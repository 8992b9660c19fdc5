package io.canaryproxy.pool;

import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The endpoints of one named backend, as seen from one event loop, and how a request picks one of
 * them (see {@link Spread}). Touched only by that event loop.
 */
public final class BackendPool {
  /** How requests are spread over the endpoints of a backend. */
  public enum Spread {
    /**
     * The power of two choices: pick two endpoints at random and use the one with fewer requests in
     * flight, which avoids a slow endpoint much better than round-robin at no extra cost. The
     * forwarder's choice.
     */
    LEAST_LOADED_OF_TWO,
    /** Each endpoint in turn; mirroring's choice, where copies are few and fire-and-forget. */
    IN_TURN
  }

  private final EndpointPool[] endpoints;
  private final Spread spread;
  private int next;

  BackendPool(EndpointPool[] endpoints, Spread spread) {
    this.endpoints = endpoints;
    this.spread = spread;
  }

  /**
   * An endpoint, or {@code null} when the backend has no address (a name that has not resolved
   * yet).
   */
  public EndpointPool pick() {
    int n = endpoints.length;
    if (n <= 1) {
      return n == 0 ? null : endpoints[0];
    }
    if (spread == Spread.IN_TURN) {
      next = next >= n - 1 ? 0 : next + 1;
      return endpoints[next];
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
   * The endpoint pool for {@code address} with limit {@code maxConnections}, the same TLS and the
   * same protocol family, or {@code null}.
   */
  EndpointPool find(
      InetSocketAddress address, int maxConnections, ConnectionTls tls, boolean multiplexed) {
    for (EndpointPool e : endpoints) {
      if (e.address().equals(address)
          && e.maxConnections() == maxConnections
          && e.tls() == tls
          && e.multiplexed() == multiplexed) {
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
