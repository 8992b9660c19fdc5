package io.canaryproxy.forwarding;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.pool.Connector;
import io.canaryproxy.pool.Transports;
import io.canaryproxy.routing.Router;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.LongAdder;

/**
 * Everything the forwarder shares across connections: the live routing, timeouts, listeners, and
 * one set of backend pools per event loop, so that a backend connection is only ever used by the
 * event loop of the client connection that leased it.
 */
public final class ForwardingContext {
  final Router router;
  final TimeoutsConfig timeouts;
  final ProxyListener listener;
  final MirrorTap.Factory tapFactory;
  final long responseTimeoutNanos;
  private final EndpointDirectory directory;
  private final BackendPipelineFactory pipelines;

  /**
   * the backends of the last {@link #updateBackends} (or the constructor); read by loops when they
   * apply
   */
  private volatile Map<String, BackendConfig> backends;

  private static final String DIRECTORY_OWNER = "backends";
  private final Map<EventExecutor, LoopPools> poolsByLoop = new IdentityHashMap<>();
  private final LongAdder inFlight = new LongAdder();
  private ChannelFactory<? extends Channel> backendChannels;
  private volatile boolean draining;

  /**
   * @param directory resolves endpoint names and tells when their addresses change
   * @param tapFactory decides which requests are mirrored, or {@code null} when mirroring is off
   */
  public ForwardingContext(
      Router router,
      Map<String, BackendConfig> backends,
      EndpointDirectory directory,
      TimeoutsConfig timeouts,
      ProxyListener listener,
      MirrorTap.Factory tapFactory,
      BackendPipelineFactory pipelines) {
    this.router = router;
    this.backends = backends;
    this.directory = directory;
    this.timeouts = timeouts;
    this.listener = listener;
    this.tapFactory = tapFactory;
    this.pipelines = pipelines;
    this.responseTimeoutNanos = timeouts.response().toNanos();
  }

  /**
   * Replaces the backend transport (default: {@link Transports#clientChannel()} sockets), so that a
   * benchmark can drive the whole pipeline through {@code EmbeddedChannel}s. Call before {@link
   * #initPools}.
   */
  public void setBackendChannelFactory(ChannelFactory<? extends Channel> factory) {
    this.backendChannels = factory;
  }

  /**
   * Creates the pools of every event loop of {@code group}, after the first DNS answers for
   * endpoint names (see {@link EndpointDirectory#track}), and follows later answers. Call once,
   * before the listener accepts, and not from an event loop.
   */
  public void initPools(EventLoopGroup group) throws InterruptedException {
    directory.track(DIRECTORY_OWNER, endpointsOf(backends));
    for (EventExecutor executor : group) {
      EventLoop loop = (EventLoop) executor;
      LoopPools pools = new LoopPools(newConnector(loop));
      pools.apply(backends, directory);
      poolsByLoop.put(loop, pools);
    }
    directory.addListener(this::addressesChanged);
  }

  /**
   * Switches every event loop to a new set of backends, keeping the pools (and their open
   * connections) of endpoints that are still there. New names are resolved first, off the event
   * loops. Blocks until every loop has switched; call it before routing to a new backend and never
   * from an event loop.
   */
  public void updateBackends(Map<String, BackendConfig> next) throws InterruptedException {
    directory.track(DIRECTORY_OWNER, endpointsOf(next));
    backends = next;
    for (Map.Entry<EventExecutor, LoopPools> e : poolsByLoop.entrySet()) {
      EventLoop loop = (EventLoop) e.getKey();
      loop.submit(() -> e.getValue().apply(backends, directory)).sync();
    }
  }

  /**
   * A name's addresses changed: every loop re-applies the current backends with the current
   * addresses.
   */
  private void addressesChanged() {
    for (Map.Entry<EventExecutor, LoopPools> e : poolsByLoop.entrySet()) {
      EventLoop loop = (EventLoop) e.getKey();
      loop.execute(() -> e.getValue().apply(backends, directory));
    }
  }

  static Set<HostPort> endpointsOf(Map<String, BackendConfig> backends) {
    Set<HostPort> out = new LinkedHashSet<>();
    backends.values().forEach(b -> out.addAll(b.endpoints()));
    return out;
  }

  /** How {@code loop} opens backend connections: its pools are separate from mirroring's. */
  private Connector newConnector(EventLoop loop) {
    return new Connector(
        loop,
        backendChannels != null
            ? backendChannels
            : new ReflectiveChannelFactory<>(Transports.clientChannel()),
        (int) timeouts.connect().toMillis(),
        pipelines::assemble,
        listener::onBackendConnection,
        "backend");
  }

  LoopPools pools(EventLoop loop) {
    return poolsByLoop.get(loop);
  }

  /** While draining, every response closes its client connection. */
  public void setDraining(boolean draining) {
    this.draining = draining;
  }

  /** True while draining: every response closes its client connection. */
  public boolean draining() {
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
   * Waits until no request is in flight, polling every 50 ms, for at most {@code timeout}. Returns
   * true when idle. Called from the shutdown thread, never from an event loop.
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
}
