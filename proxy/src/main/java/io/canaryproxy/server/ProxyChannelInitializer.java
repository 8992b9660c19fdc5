package io.canaryproxy.server;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.forwarding.BackendPipelineFactory;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.pool.Multiplexing;
import io.canaryproxy.pool.PooledConnection;
import io.canaryproxy.server.http1.Http1RequestDecoder;
import io.canaryproxy.server.http1.Http1ServerHandler;
import io.canaryproxy.server.http1.ProxyResponseEncoder;
import io.canaryproxy.server.http2.Http2Backends;
import io.canaryproxy.server.http2.Http2ClientConnectionHandler;
import io.canaryproxy.server.http2.Http2Limits;
import io.canaryproxy.tls.ServerTls;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.haproxy.HAProxyMessageDecoder;
import io.netty.handler.ssl.SniHandler;

/**
 * The only place where pipelines are assembled: the client side of the proxy listener, and each
 * backend connection. Each step is a named method, so the order of handlers reads top to bottom.
 */
public final class ProxyChannelInitializer extends ChannelInitializer<Channel>
    implements BackendPipelineFactory, Multiplexing {
  /** Longest status or chunk-size line a backend may send (Netty's decoder default). */
  private static final int MAX_BACKEND_LINE_BYTES = 4096;

  /** Backend response heads may be larger than the client request limits. */
  private static final int MAX_BACKEND_HEADER_BYTES = 64 * 1024;

  private final LimitsConfig limits;
  private final TimeoutsConfig timeouts;
  private ForwardingContext forwarding;
  private ServerTls tls;
  private boolean proxyProtocol;

  private final Http2Backends h2Backends;

  public ProxyChannelInitializer(LimitsConfig limits, TimeoutsConfig timeouts) {
    this.limits = limits;
    this.timeouts = timeouts;
    this.h2Backends =
        new Http2Backends(limits.http2(), MAX_BACKEND_HEADER_BYTES, timeouts.connect().toMillis());
  }

  /** Sets the forwarder the client pipelines end with; called once, before the listener binds. */
  public void setForwarding(ForwardingContext forwarding) {
    this.forwarding = forwarding;
  }

  /**
   * Terminates TLS with {@code tls} (or {@code null}: plain HTTP) and requires a PROXY protocol
   * header first when {@code proxyProtocol}; called once, before the listener binds.
   */
  public void setListenerSecurity(ServerTls tls, boolean proxyProtocol) {
    this.tls = tls;
    this.proxyProtocol = proxyProtocol;
  }

  @Override
  protected void initChannel(Channel ch) {
    ChannelPipeline p = ch.pipeline();
    addProxyProtocolHandlers(p);
    addTlsHandlers(p);
    addTimeoutHandlers(p);
    addProtocolDetection(p);
    Http1RequestDecoder decoder = addHttp1Handlers(p);
    addProxyHandlers(p, decoder);
  }

  /**
   * HTTP/1 and HTTP/2 share the listener: the first bytes decide, and the HTTP/1 handlers added
   * below are replaced by the HTTP/2 ones ({@link #replaceWithHttp2}) when they are the preface.
   */
  private void addProtocolDetection(ChannelPipeline p) {
    p.addLast("protocol", new PrefaceDetectHandler(this::replaceWithHttp2));
  }

  private void replaceWithHttp2(ChannelPipeline p) {
    p.remove("decoder");
    p.remove("encoder");
    p.remove("proxy");
    addHttp2Handlers(p);
  }

  /**
   * HTTP/2: one {@link Http2ClientConnectionHandler} for the connection (Netty's connection handler
   * under the limits), which serves each stream as one exchange without a channel of its own. In
   * front of it, the flushes of all streams are merged into one socket write per event-loop turn
   * ({@link Http2Limits#flushConsolidation}), and the small buffers of its frames (heap buffers:
   * {@link Http2Limits#useFrameAllocator}) into one buffer per flush ({@link
   * Http2Limits#writeBatch}).
   */
  private void addHttp2Handlers(ChannelPipeline p) {
    Http2Limits.useFrameAllocator(p.channel());
    p.addLast("h2flush", Http2Limits.flushConsolidation());
    p.addLast("h2batch", Http2Limits.writeBatch());
    p.addLast(
        "h2connection",
        Http2Limits.of(limits).clientHandler(forwarding, limits, timeouts.requestBody().toNanos()));
  }

  /** The PROXY header comes first on the wire, before any TLS record. */
  private void addProxyProtocolHandlers(ChannelPipeline p) {
    if (proxyProtocol) {
      p.addLast("proxyProtocolDecoder", new HAProxyMessageDecoder());
      p.addLast("proxyProtocol", new ProxyProtocolHandler());
    }
  }

  /**
   * The SNI handler reads the ClientHello and puts an SslHandler built from the context current at
   * that moment in its place, so a rotated certificate applies from the next handshake on.
   */
  private void addTlsHandlers(ChannelPipeline p) {
    ServerTls t = tls;
    if (t != null) {
      p.addLast("tls", new SniHandler(hostname -> t.current()));
      p.addLast("tlsSession", new TlsSessionHandler());
    }
    if (t != null || proxyProtocol) {
      p.addLast(
          "setupTimeout", new SetupTimeoutHandler(timeouts.requestHeader().toNanos(), t != null));
    }
  }

  /**
   * {@code timeouts.clientIdle}: an all-idle event the adapters close an idle connection on
   * (checked a few times per timeout, no clock read per request: {@link IdleTimeoutHandler}).
   */
  private void addTimeoutHandlers(ChannelPipeline p) {
    p.addLast("clientIdle", IdleTimeoutHandler.client(timeouts.clientIdle().toMillis()));
  }

  /**
   * The request decoder parses heads in place and refuses, with the README's statuses, what the
   * proxy does not forward (it is the request guard as well).
   */
  private Http1RequestDecoder addHttp1Handlers(ChannelPipeline p) {
    Http1RequestDecoder decoder =
        new Http1RequestDecoder(
            limits, timeouts.requestHeader().toNanos(), timeouts.requestBody().toNanos());
    p.addLast("decoder", decoder);
    p.addLast("encoder", new ProxyResponseEncoder());
    return decoder;
  }

  /** The adapter steers {@code decoder} around upgrades (it holds bytes until a 101 or not). */
  private void addProxyHandlers(ChannelPipeline p, Http1RequestDecoder decoder) {
    p.addLast("proxy", new Http1ServerHandler(forwarding, limits.requestBufferBytes(), decoder));
  }

  @Override
  public void assemble(ChannelPipeline p, ChannelHandler last) {
    // Reader idleness is enough here: a connection goes back to the pool only once its request was
    // fully written and its response fully read, so its last read is its last activity. In front
    // of the codec (after TLS, if any), it sees each read once rather than each message decoded
    // from it (a head, a body piece and an end per response), and it reads no clock for it.
    p.addLast("backendIdle", IdleTimeoutHandler.backend(timeouts.backendIdle().toMillis()));
    // The exchange model in and out: the codec reads responses into it and frames what is written
    // through Http1BackendAdapter (a second upstream protocol is a second codec here).
    p.addLast("codec", new BackendCodec(MAX_BACKEND_LINE_BYTES, MAX_BACKEND_HEADER_BYTES));
    p.addLast("backend", last);
  }

  @Override
  public Multiplexing multiplexing() {
    return this;
  }

  /**
   * An HTTP/2 backend connection ({@code protocol: h2c | h2}, after TLS): the flushes of its
   * streams merged as on the listener, idleness as for HTTP/1.1 (a connection without streams
   * closes; it sees every read, so it goes before the connection handler, which passes no frame
   * on), the small buffers of its frames batched ({@link Http2Limits#writeBatch}), the connection
   * handler that carries every stream, and the pool's {@code last} handler, which reads the
   * connection's events.
   */
  @Override
  public void assembleConnection(ChannelPipeline p, ChannelHandler last) {
    if (p.get("backend") == null) {
      p.addLast("backend", last);
    }
    Http2Limits.useFrameAllocator(p.channel());
    p.addBefore("backend", "h2flush", Http2Limits.flushConsolidation());
    p.addBefore(
        "backend", "backendIdle", IdleTimeoutHandler.backend(timeouts.backendIdle().toMillis()));
    p.addBefore("backend", "h2batch", Http2Limits.writeBatch());
    p.addBefore("backend", "h2connection", h2Backends.connectionHandler());
  }

  /** One exchange's stream on an HTTP/2 backend connection: no channel, carried by its handler. */
  @Override
  public PooledConnection.Stream openStream(Channel parent, PooledConnection stream) {
    return h2Backends.openStream(parent, stream);
  }
}
