package io.canaryproxy.forwarding;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.BackendProtocol;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.grpc.GrpcErrorCodes;
import io.canaryproxy.pool.BackendPool;
import io.canaryproxy.pool.Connector;
import io.canaryproxy.pool.LoopPools;
import io.canaryproxy.pool.PoolSet;
import io.canaryproxy.pool.Transports;
import io.canaryproxy.routing.Router;
import io.canaryproxy.tls.BackendTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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

  /**
   * How long a client may take no byte of a response the proxy stopped reading for it ({@code
   * timeouts.clientIdle}); {@code timeouts.response} does not count meanwhile.
   */
  final long clientStallNanos;

  private final BackendPipelineFactory pipelines;

  /** the backends given to the constructor, until {@link #initPools} hands them to the pools */
  private final Map<String, BackendConfig> backends;

  /** the forwarder's own pools, apart from mirroring's */
  private final PoolSet pools;

  private final LongAdder inFlight = new LongAdder();

  /** Open tunnels across all connections, so that a drain can close them when it times out. */
  private final Set<Tunnel> tunnels = ConcurrentHashMap.newKeySet();

  private ChannelFactory<? extends Channel> backendChannels;
  private volatile boolean draining;
  private volatile String revisionHeader;
  private volatile GrpcErrorCodes grpcErrorCodes = GrpcErrorCodes.DEFAULT;

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
    this.timeouts = timeouts;
    this.listener = listener;
    this.tapFactory = tapFactory;
    this.pipelines = pipelines;
    this.responseTimeoutNanos = timeouts.response().toNanos();
    this.clientStallNanos = timeouts.clientIdle().toNanos();
    this.pools =
        new PoolSet(
            "backends",
            directory,
            BackendPool.Spread.LEAST_LOADED_OF_TWO,
            this::newConnector,
            (backend, endpoint) ->
                BackendTls.forEndpoint(
                    backend.tls(), endpoint.host(), backend.protocol() == BackendProtocol.H2));
  }

  /**
   * Copies the backend response's {@code header} (lower case) into {@link Exchange#revision}, for
   * the rollout's new-revision detection; {@code null} (the default) copies nothing.
   */
  public void setRevisionHeader(String header) {
    this.revisionHeader = header;
  }

  String revisionHeader() {
    return revisionHeader;
  }

  /**
   * Sets which gRPC status codes count as errors of their variant ({@code
   * metrics.grpc.errorCodes}); default {@link GrpcErrorCodes#DEFAULT}.
   */
  public void setGrpcErrorCodes(GrpcErrorCodes codes) {
    this.grpcErrorCodes = codes;
  }

  GrpcErrorCodes grpcErrorCodes() {
    return grpcErrorCodes;
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
    pools.start(group, backends);
  }

  /**
   * Switches every event loop to a new set of backends, keeping the pools (and their open
   * connections) of endpoints that are still there. New names are resolved first, off the event
   * loops. Blocks until every loop has switched; call it before routing to a new backend and never
   * from an event loop.
   */
  public void updateBackends(Map<String, BackendConfig> next) throws InterruptedException {
    pools.update(next);
  }

  /** How {@code loop} opens backend connections: its pools are separate from mirroring's. */
  private Connector newConnector(EventLoop loop) {
    Connector connector =
        new Connector(
            loop,
            backendChannels != null
                ? backendChannels
                : new ReflectiveChannelFactory<>(Transports.clientChannel()),
            (int) timeouts.connect().toMillis(),
            pipelines::assemble,
            listener::onBackendConnection,
            "backend");
    connector.setMultiplexing(pipelines.multiplexing());
    return connector;
  }

  LoopPools pools(EventLoop loop) {
    return pools.forLoop(loop);
  }

  /** While draining, every response closes its client connection. */
  public void setDraining(boolean draining) {
    this.draining = draining;
  }

  /** True while draining: every response closes its client connection. */
  public boolean draining() {
    return draining;
  }

  /**
   * A multiplexed client connection (HTTP/2) was opened (+1) or closed (-1); its streams'
   * forwarders do not count it.
   */
  public void clientConnection(int delta) {
    listener.onClientConnection(delta);
  }

  /** An HTTP/2 client connection was ended with a GOAWAY of {@code type} (a bounded tag). */
  public void http2GoAway(String type) {
    listener.onHttp2GoAway(type);
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

  void tunnelOpened(Tunnel t) {
    tunnels.add(t);
  }

  void tunnelClosed(Tunnel t) {
    tunnels.remove(t);
  }

  /** Open WebSocket (upgrade) tunnels across all connections. */
  public int openTunnels() {
    return tunnels.size();
  }

  /**
   * Closes every open tunnel (each on its own event loop, after what it holds is flushed) and
   * returns how many there were: a drain that timed out ends them. Any thread.
   */
  public int closeTunnels() {
    int n = 0;
    for (Tunnel t : tunnels) {
      t.closeSoon();
      n++;
    }
    return n;
  }

  /**
   * Waits until no request is in flight and no tunnel is open, polling every 50 ms, for at most
   * {@code timeout}. Returns true when idle. Called from the shutdown thread, never from an event
   * loop.
   */
  public boolean awaitIdle(java.time.Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object monitor = new Object();
    synchronized (monitor) {
      while ((inFlight.sum() > 0 || !tunnels.isEmpty()) && System.nanoTime() < deadline) {
        monitor.wait(50);
      }
    }
    return inFlight.sum() == 0 && tunnels.isEmpty();
  }
}
