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
import java.util.List;
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
  private final Map<EventExecutor, Map<String, BackendPool>> poolsByLoop = new IdentityHashMap<>();
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
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      Map<String, BackendPool> pools = new HashMap<>();
      for (Map.Entry<String, BackendConfig> e : backends.entrySet()) {
        pools.put(e.getKey(), newPool(loop, e.getKey(), e.getValue()));
      }
      poolsByLoop.put(loop, pools);
    }
  }

  private BackendPool newPool(EventLoop loop, String name, BackendConfig config) {
    Bootstrap bootstrap = new Bootstrap().group(loop);
    if (backendChannels == null) {
      bootstrap.channel(Transports.clientChannel());
    } else {
      bootstrap.channelFactory(backendChannels);
    }
    bootstrap
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) timeouts.connect().toMillis())
        .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
        .option(ChannelOption.TCP_NODELAY, true);
    List<HostPort> endpoints = config.endpoints();
    EndpointPool[] pools = new EndpointPool[endpoints.size()];
    for (int i = 0; i < pools.length; i++) {
      HostPort hp = endpoints.get(i);
      EndpointPool pool =
          new EndpointPool(new InetSocketAddress(hp.host(), hp.port()), config.maxConnections(), listener);
      pools[i] = pool;
      pool.setBootstrap(
          bootstrap
              .clone()
              .handler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                      pipelines.assemble(ch.pipeline(), new BackendConnection(pool));
                    }
                  }));
    }
    return new BackendPool(name, pools);
  }

  Map<String, BackendPool> pools(EventLoop loop) {
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
    for (Map.Entry<EventExecutor, Map<String, BackendPool>> e : poolsByLoop.entrySet()) {
      e.getKey().execute(() -> e.getValue().values().forEach(BackendPool::closeIdle));
    }
  }
}
