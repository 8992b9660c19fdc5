package io.canaryproxy.forwarding;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The endpoints of one named backend, as seen from one event loop. Requests are spread by the power of two
 * choices: pick two endpoints at random and use the one with fewer requests in flight, which avoids a slow
 * endpoint much better than round-robin at no extra cost.
 */
final class BackendPool {
  private final String name;
  private final EndpointPool[] endpoints;

  BackendPool(String name, EndpointPool[] endpoints) {
    this.name = name;
    this.endpoints = endpoints;
  }

  String name() {
    return name;
  }

  EndpointPool pick() {
    int n = endpoints.length;
    if (n == 1) {
      return endpoints[0];
    }
    ThreadLocalRandom random = ThreadLocalRandom.current();
    int a = random.nextInt(n);
    int b = random.nextInt(n - 1);
    if (b >= a) {
      b++;
    }
    return endpoints[a].inFlight() <= endpoints[b].inFlight() ? endpoints[a] : endpoints[b];
  }

  void closeIdle() {
    for (EndpointPool e : endpoints) {
      e.closeIdle();
    }
  }
}
