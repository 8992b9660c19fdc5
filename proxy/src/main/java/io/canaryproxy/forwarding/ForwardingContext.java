package io.canaryproxy.forwarding;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.routing.Router;
import io.canaryproxy.server.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import java.net.InetSocketAddress;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything the forwarder shares across connections: the live routing, timeouts, listeners, and one set of backend
 * pools per event loop, so that a backend connection is only ever used by the event loop of the client connection
 * that leased it.
 */
public final class ForwardingContext {
  final Router router;
  final TimeoutsConfig timeouts;
  final ProxyListener listener;
  final MirrorTap.Factory tapFactory;
  final long responseTimeoutNanos;
  private final Map<String, BackendConfig> backends;
  private final BackendPipelineFactory pipelines;
  private final Map<EventExecutor, LoopPools> poolsByLoop = new IdentityHashMap<>();
  private final LongAdder inFlight = new LongAdder();
  private ChannelFactory<? extends Channel> backendChannels;
  private volatile boolean draining;

  /**
   * @param tapFactory decides which requests are mirrored, or {@code null} when mirroring is off
   */
  public ForwardingContext(
      Router router,
      Map<String, BackendConfig> backends,
      TimeoutsConfig timeouts,
      ProxyListener listener,
      MirrorTap.Factory tapFactory,
      BackendPipelineFactory pipelines) {
    this.router = router;
    this.backends = backends;
    this.timeouts = timeouts;
    this.listener = listener;
    this.tapFactory = tapFactory;
    this.pipelines = pipelines;
    this.responseTimeoutNanos = timeouts.response().toNanos();
  }

  /**
   * Replaces the backend transport (default: {@link Transports#clientChannel()} sockets), so that a benchmark can
   * drive the whole pipeline through {@code EmbeddedChannel}s. Call before {@link #initPools}.
   */
  public void setBackendChannelFactory(ChannelFactory<? extends Channel> factory) {
    this.backendChannels = factory;
  }

  /** Creates the pools of every event loop of {@code group}; call once before the listener accepts. */
  public void initPools(EventLoopGroup group) {
    Map<HostPort, InetSocketAddress> addresses = resolve(backends);
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      LoopPools pools = new LoopPools();
      pools.apply(this, loop, backends, addresses);
      poolsByLoop.put(loop, pools);
    }
  }

  /**
   * Switches every event loop to a new set of backends, keeping the pools (and their open connections) of endpoints
   * that are still there. Names are resolved here, on the calling thread, never on an event loop. Blocks until every
   * loop has switched; call it before routing to a new backend and never from an event loop.
   */
  public void updateBackends(Map<String, BackendConfig> next) throws InterruptedException {
    Map<HostPort, InetSocketAddress> addresses = resolve(next);
    for (Map.Entry<EventExecutor, LoopPools> e : poolsByLoop.entrySet()) {
      EventLoop loop = (EventLoop) e.getKey();
      loop.submit(() -> e.getValue().apply(this, loop, next, addresses)).sync();
    }
  }

  private static Map<HostPort, InetSocketAddress> resolve(Map<String, BackendConfig> backends) {
    Map<HostPort, InetSocketAddress> addresses = new HashMap<>();
    for (BackendConfig b : backends.values()) {
      for (HostPort hp : b.endpoints()) {
        addresses.computeIfAbsent(hp, h -> new InetSocketAddress(h.host(), h.port()));
      }
    }
    return addresses;
  }

  EndpointPool newEndpointPool(EventLoop loop, InetSocketAddress address, int maxConnections) {
    EndpointPool pool = new EndpointPool(address, maxConnections, listener);
    Bootstrap bootstrap = new Bootstrap().group(loop);
    if (backendChannels == null) {
      bootstrap.channel(Transports.clientChannel());
    } else {
      bootstrap.channelFactory(backendChannels);
    }
    pool.setBootstrap(
        bootstrap
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeouts.connect().toMillis())
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.TCP_NODELAY, true)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    pipelines.assemble(ch.pipeline(), new BackendConnection(pool));
                  }
                }));
    return pool;
  }

  LoopPools pools(EventLoop loop) {
    return poolsByLoop.get(loop);
  }

  /** While draining, every response closes its client connection. */
  public void setDraining(boolean draining) {
    this.draining = draining;
  }

  boolean draining() {
    return draining;
  }

  void exchangeStarted() {
    inFlight.increment();
  }

  void exchangeFinished() {
    inFlight.decrement();
  }

  /** Requests in flight across all connections. */
  public int inFlight() {
    return (int) inFlight.sum();
  }

  /**
   * Waits until no request is in flight, polling every 50 ms, for at most {@code timeout}. Returns true when idle.
   * Called from the shutdown thread, never from an event loop.
   */
  public boolean awaitIdle(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object monitor = new Object();
    synchronized (monitor) {
      while (inFlight.sum() > 0 && System.nanoTime() < deadline) {
        monitor.wait(50);
      }
    }
    return inFlight.sum() == 0;
  }

  /** Closes idle backend connections of every loop, each on its own loop. */
  public void closeIdleConnections() {
    for (Map.Entry<EventExecutor, LoopPools> e : poolsByLoop.entrySet()) {
      e.getKey().execute(() -> e.getValue().closeIdle());
    }
  }
}
