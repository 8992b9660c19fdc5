package io.canaryproxy.server;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.pool.Transports;
import io.canaryproxy.tls.BackendTlsReloader;
import io.canaryproxy.tls.CertificateWatcher;
import io.canaryproxy.tls.ServerTls;
import io.canaryproxy.tls.TlsProvider;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy listener: binds {@code listen}, runs {@code ioThreads} event loops, and forwards every
 * connection.
 */
public final class ProxyServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);

  private final ProxyConfig config;
  private final EventLoopGroup group;
  private final ForwardingContext forwarding;
  private final ProxyChannelInitializer initializer;
  private final EndpointDirectory directory;
  private final MirrorTap.Factory tapFactory;
  private final ServerTls tls;
  private CertificateWatcher certificateWatcher;
  private final BackendTlsReloader backendTls = new BackendTlsReloader(CERTIFICATE_POLL);
  private Channel listener;
  private final ClientConnectionLimit connectionLimit;

  /**
   * The open client connections (a closed one leaves by itself), closed first by {@link #close}.
   */
  private final ChannelGroup clients = new DefaultChannelGroup(GlobalEventExecutor.INSTANCE);

  /** How often the TLS files are re-read besides the directory watch. */
  private static final Duration CERTIFICATE_POLL = Duration.ofSeconds(2);

  /**
   * A server over collaborators built by the composition root ({@code ServerWiring}); it owns their
   * lifecycle from here: {@link #start} creates the pools, {@link #close} closes the directory.
   *
   * @param initializer assembles client and backend pipelines; already given {@code forwarding}
   * @param forwarding the forwarder, whose pools are created on this server's event loops
   * @param tapFactory decides which requests are mirrored, or {@code null} when mirroring is off
   * @param directory resolves the endpoints of both the forwarder and mirroring
   */
  public ProxyServer(
      ProxyConfig config,
      ProxyChannelInitializer initializer,
      ForwardingContext forwarding,
      MirrorTap.Factory tapFactory,
      EndpointDirectory directory) {
    this.config = config;
    // Reads the PEM files first: an unusable one fails here, before any thread or port.
    this.tls = config.tls() == null ? null : new ServerTls(config.tls());
    initializer.setListenerSecurity(tls, config.proxyProtocol());
    this.group = Transports.newGroup(config.ioThreads(), "canary-io");
    this.connectionLimit = new ClientConnectionLimit(config.limits().maxClientConnections());
    this.initializer = initializer;
    this.forwarding = forwarding;
    this.tapFactory = tapFactory;
    this.directory = directory;
  }

  /**
   * Resolves the endpoint names (waiting for their first answers), creates the backend pools of
   * every event loop, and binds the listener; returns once it accepts connections.
   */
  public ProxyServer start() throws InterruptedException {
    forwarding.initPools(group);
    if (tapFactory != null) {
      tapFactory.initPools(group, initializer, directory);
    }
    InetSocketAddress address =
        new InetSocketAddress(config.listen().host(), config.listen().port());
    listener =
        new ServerBootstrap()
            .group(group)
            .channel(Transports.serverChannel())
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            // Pooled, not Netty 4.2's default (adaptive): on the split benchmark adaptive left
            // 110-215 B of garbage per request where pooled leaves almost none (G1: 2% less CPU
            // but 410 MiB RSS against 130; sidecar flags: 12x the young GCs, 6% more CPU).
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .handler(connectionLimit)
            .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .childOption(ChannelOption.RCVBUF_ALLOCATOR, Transports.READ_SIZES)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(
                ChannelOption.WRITE_BUFFER_WATER_MARK,
                new WriteBufferWaterMark(32 * 1024, 64 * 1024))
            .childHandler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    clients.add(ch);
                    ch.pipeline().addLast(initializer);
                  }
                })
            .bind(address)
            .sync()
            .channel();
    backendTls.follow(config.backends().values());
    if (tls != null) {
      certificateWatcher = new CertificateWatcher(tls);
      try {
        certificateWatcher.start(CERTIFICATE_POLL);
      } catch (IOException e) {
        throw new UncheckedIOException("tls: cannot watch the certificate files", e);
      }
    }
    log.info(
        "proxy listening on {} ({} event loops, {}{}{})",
        listener.localAddress(),
        config.ioThreads(),
        Transports.epoll() ? "epoll" : "nio",
        tls == null ? "" : ", TLS " + TlsProvider.describe() + ", certificate " + tls.subject(),
        config.proxyProtocol() ? ", PROXY protocol required" : "");
    return this;
  }

  /**
   * Switches to a reloaded config's backends ({@link ForwardingContext#updateBackends}) and follows
   * their TLS files from now on.
   */
  public void updateBackends(Map<String, BackendConfig> backends) throws InterruptedException {
    forwarding.updateBackends(backends);
    backendTls.follow(backends.values());
  }

  /** The bound port (useful when {@code listen} asked for port 0). */
  public int port() {
    return ((InetSocketAddress) listener.localAddress()).getPort();
  }

  /** The listener's TLS, or {@code null} for plain HTTP. */
  public ServerTls tls() {
    return tls;
  }

  /** The forwarder, for draining. */
  public ForwardingContext forwarding() {
    return forwarding;
  }

  /**
   * Client connections closed as soon as they were accepted because {@code
   * limits.maxClientConnections} were open, since start.
   */
  public long rejectedConnections() {
    return connectionLimit.rejected();
  }

  /** The event loops of the listener and its connections (the admin listener shares them). */
  public EventLoopGroup group() {
    return group;
  }

  /** Stops accepting new connections; open ones keep being served. */
  public void stopAccepting() {
    if (listener != null) {
      listener.close().syncUninterruptibly();
    }
  }

  /** Closes the listener and every connection, waiting up to {@code timeout}. */
  public void close(Duration timeout) {
    backendTls.close();
    if (certificateWatcher != null) {
      certificateWatcher.close();
    }
    directory.close();
    stopAccepting();
    // Client connections are closed before the event loops stop, and the loops then run what the
    // closes queued (channelInactive, which releases what a connection still holds), rather than
    // leaving it to the loops' own shutdown, which may end before it ran.
    clients.close().awaitUninterruptibly(timeout.toMillis());
    for (EventExecutor loop : group) {
      loop.submit(() -> {}).awaitUninterruptibly(timeout.toMillis());
    }
    group
        .shutdownGracefully(0, timeout.toMillis(), TimeUnit.MILLISECONDS)
        .awaitUninterruptibly(timeout.toMillis());
  }

  @Override
  public void close() {
    close(Duration.ofSeconds(5));
  }
}
