package io.canaryproxy.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.function.BiConsumer;
import java.util.function.IntConsumer;

/**
 * How one user (the forwarder, or mirroring) opens connections from one event loop: the transport,
 * the connect timeout, the pooled allocator, {@code TCP_NODELAY}, and the pipeline. Makes the
 * {@link EndpointPool}s of that loop; each pool it makes is separate from every other.
 */
public final class Connector {
  private final Bootstrap template;
  private final BiConsumer<ChannelPipeline, ChannelHandler> pipelines;
  private final IntConsumer openConnections;
  private final String role;
  private final int connectTimeoutMillis;
  private Multiplexing multiplexing;

  /**
   * @param channels makes the connection channels (sockets, or embedded channels in a benchmark)
   * @param connectTimeoutMillis how long a connect may take, in milliseconds (&gt; 0)
   * @param pipelines assembles a connection's pipeline, ending with the handler it is given
   * @param openConnections hears +1 when a connection opens and -1 when it closes
   * @param role names the user in logs ({@code backend}, {@code shadow})
   */
  public Connector(
      EventLoop loop,
      ChannelFactory<? extends Channel> channels,
      int connectTimeoutMillis,
      BiConsumer<ChannelPipeline, ChannelHandler> pipelines,
      IntConsumer openConnections,
      String role) {
    this.template =
        new Bootstrap()
            .group(loop)
            .channelFactory(channels)
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.RCVBUF_ALLOCATOR, Transports.READ_SIZES)
            .option(ChannelOption.TCP_NODELAY, true);
    this.pipelines = pipelines;
    this.openConnections = openConnections;
    this.role = role;
    this.connectTimeoutMillis = connectTimeoutMillis;
  }

  /**
   * How this connector's HTTP/2 pools open streams; set once, before {@link #newPool(
   * InetSocketAddress, int, ConnectionTls, boolean)} makes one.
   */
  public void setMultiplexing(Multiplexing multiplexing) {
    this.multiplexing = multiplexing;
  }

  /** A new, empty pool of at most {@code maxConnections} connections to {@code address}. */
  public EndpointPool newPool(InetSocketAddress address, int maxConnections) {
    return newPool(address, maxConnections, null);
  }

  /**
   * A new, empty pool of at most {@code maxConnections} connections to {@code address}, speaking
   * TLS with {@code tls} first in each pipeline ({@code null}: plain TCP).
   */
  public EndpointPool newPool(InetSocketAddress address, int maxConnections, ConnectionTls tls) {
    return newPool(address, maxConnections, tls, false);
  }

  /**
   * As above; with {@code multiplexed} the connections speak HTTP/2 (see {@link #setMultiplexing})
   * and carry one stream per exchange.
   */
  public EndpointPool newPool(
      InetSocketAddress address, int maxConnections, ConnectionTls tls, boolean multiplexed) {
    if (multiplexed && multiplexing == null) {
      throw new IllegalStateException(role + ": no HTTP/2 support for " + address);
    }
    Multiplexing mux = multiplexed ? multiplexing : null;
    EndpointPool pool = new EndpointPool(address, maxConnections, openConnections, role, tls, mux);
    pool.setBootstrap(
        template
            .clone()
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    if (tls != null) {
                      SslHandler ssl = tls.newHandler(ch.alloc(), address);
                      ssl.setHandshakeTimeoutMillis(connectTimeoutMillis);
                      ch.pipeline().addLast("tls", ssl);
                    }
                    if (mux != null && tls != null) {
                      // HTTP/2 only once ALPN selected it: the pool assembles the rest after the
                      // handshake, so a backend that did not is never sent the HTTP/2 preface.
                      ch.pipeline().addLast("backend", new MultiplexedConnection(pool));
                    } else if (mux != null) {
                      mux.assembleConnection(ch.pipeline(), new MultiplexedConnection(pool));
                    } else {
                      pipelines.accept(ch.pipeline(), new PooledConnection(pool));
                    }
                  }
                }));
    return pool;
  }
}
