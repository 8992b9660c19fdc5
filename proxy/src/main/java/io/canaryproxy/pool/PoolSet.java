package io.canaryproxy.pool;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.EndpointDirectory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One user's connection pools: for every event loop, a {@link LoopPools} holding a {@link
 * BackendPool} per backend name. The set declares its endpoints to the {@link EndpointDirectory}
 * under its own owner name and listens to it, so a DNS change reaches every loop as soon as the
 * directory sees it (each loop re-applies its backends on its own thread): a new address gets a
 * pool, and a departed one is retired, its idle connections closed at once. The forwarder and
 * mirroring each have a set of their own, so their limits and connections never mix.
 */
public final class PoolSet {
  private final String owner;
  private final EndpointDirectory directory;
  private final BackendPool.Spread spread;
  private final Function<EventLoop, Connector> connectors;
  private final BiFunction<BackendConfig, HostPort, ConnectionTls> tls;
  private volatile Map<EventExecutor, LoopPools> byLoop = Map.of();

  /**
   * The backends last given to {@link #start} or {@link #update}; read by loops when they apply.
   */
  private volatile Map<String, BackendConfig> backends = Map.of();

  /**
   * @param owner names this set's endpoints in the directory ({@code backends}, {@code mirror});
   *     unique per directory
   * @param directory resolves endpoint names and tells when their addresses change
   * @param spread how a request picks an endpoint of a backend
   * @param connectors makes the {@link Connector} of each event loop; called by {@link #start}
   */
  public PoolSet(
      String owner,
      EndpointDirectory directory,
      BackendPool.Spread spread,
      Function<EventLoop, Connector> connectors) {
    this(owner, directory, spread, connectors, (backend, endpoint) -> null);
  }

  /**
   * As above, for backends that may speak TLS.
   *
   * @param tls how connections to an endpoint of a backend speak TLS, or {@code null} for plain
   *     TCP; the same backend TLS section and endpoint must give the same instance (a reload then
   *     keeps the pooled connections). Supplied by the user of the set, so that this package does
   *     not depend on the TLS implementation.
   */
  public PoolSet(
      String owner,
      EndpointDirectory directory,
      BackendPool.Spread spread,
      Function<EventLoop, Connector> connectors,
      BiFunction<BackendConfig, HostPort, ConnectionTls> tls) {
    this.owner = owner;
    this.directory = directory;
    this.spread = spread;
    this.connectors = connectors;
    this.tls = tls;
  }

  /**
   * Resolves the endpoint names of {@code initial} (waiting for their first answers), creates the
   * pools of every event loop of {@code group}, and from then on follows the directory. Call once,
   * before any loop asks {@link #forLoop}, and never from an event loop.
   */
  public void start(EventLoopGroup group, Map<String, BackendConfig> initial)
      throws InterruptedException {
    if (!byLoop.isEmpty()) {
      throw new IllegalStateException("pools of " + owner + " already started");
    }
    // Listening from the start: an answer that comes after track() stopped waiting for it (a slow
    // name server) must still reach every loop, including those whose pools are already made.
    directory.addListener(this::addressesChanged);
    directory.track(owner, endpointsOf(initial.values()));
    backends = initial;
    Map<EventExecutor, LoopPools> made = new IdentityHashMap<>();
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      LoopPools pools = new LoopPools(connectors.apply(loop), spread, tls);
      pools.apply(initial, directory);
      made.put(loop, pools);
    }
    byLoop = made;
    // A change heard while the pools were being made found no loop to tell: each loop applies
    // the current addresses once more (pools whose address did not change are kept).
    addressesChanged();
  }

  /**
   * Switches every event loop to a new set of backends, keeping the pools (and their open
   * connections) of endpoints that are still there. New names are resolved first, off the event
   * loops. Blocks until every loop has switched; never call it from an event loop.
   */
  public void update(Map<String, BackendConfig> next) throws InterruptedException {
    directory.track(owner, endpointsOf(next.values()));
    backends = next;
    for (Map.Entry<EventExecutor, LoopPools> e : byLoop.entrySet()) {
      LoopPools pools = e.getValue();
      e.getKey().submit(() -> pools.apply(backends, directory)).sync();
    }
  }

  /** The pools of {@code loop}, or {@code null} when {@link #start} did not cover that loop. */
  public LoopPools forLoop(EventLoop loop) {
    return byLoop.get(loop);
  }

  /** A name's addresses changed: every loop re-applies the current backends on its own thread. */
  private void addressesChanged() {
    for (Map.Entry<EventExecutor, LoopPools> e : byLoop.entrySet()) {
      LoopPools pools = e.getValue();
      e.getKey().execute(() -> pools.apply(backends, directory));
    }
  }

  private static Set<HostPort> endpointsOf(Collection<BackendConfig> backends) {
    Set<HostPort> out = new LinkedHashSet<>();
    backends.forEach(b -> out.addAll(b.endpoints()));
    return out;
  }
}
