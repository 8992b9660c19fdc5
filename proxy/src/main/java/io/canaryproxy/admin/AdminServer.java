package io.canaryproxy.admin;

import io.canaryproxy.config.AdminConfig;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.MicrometerBinding;
import io.canaryproxy.pool.Transports;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The admin HTTP listener on {@code admin.listen}, separate from the proxy's: health, readiness,
 * Prometheus metrics, stats, histogram logs, the effective config and the live dashboard ({@code /}
 * and {@code /dashboard}), plus routes added with {@link #route} and {@link #mutatingRoute}. It
 * refuses a non-loopback address unless {@code admin.tokenFile} is set; off loopback every endpoint
 * but {@code /healthz} and {@code /readyz} needs a token (see {@link AdminAccess}).
 */
public final class AdminServer {
  /** Largest admin request accepted, head excluded; larger ones get 413. */
  static final int MAX_CONTENT_BYTES = 64 * 1024;

  /** A connection that sends nothing for this long is closed, so idle clients cannot pile up. */
  static final int IDLE_SECONDS = 60;

  /** The Prometheus text exposition format, the default of {@code GET /metrics}. */
  static final String PROMETHEUS_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** Served when the {@code Accept} header asks for it. */
  static final String OPENMETRICS_TYPE =
      "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private final AdminConfig config;
  private final AdminConfig.Tokens tokens;
  private final AdminRoutes routes = new AdminRoutes();
  private EventLoopGroup group;
  private boolean ownGroup;
  private Channel channel;

  /**
   * Reads the token files and registers the built-in endpoints; nothing is bound until {@link
   * #start}. Throws {@link IllegalArgumentException} naming {@code admin.tokenFile} or {@code
   * admin.readTokenFile} when one cannot be read or is empty.
   *
   * @param config the admin section
   * @param effectiveConfig what {@code GET /admin/config} shows, redacted: asked per request, so
   *     that it shows the live config after a reload (usually the whole {@code ProxyConfig})
   * @param metrics source of {@code GET /metrics}
   * @param recorders source of {@code GET /admin/stats} and {@code GET /admin/histograms}
   * @param ready {@code GET /readyz} answers 200 while it returns true, else 503
   * @param mirrorStats the {@code mirror} object of {@code /admin/stats}; called per request
   */
  public AdminServer(
      AdminConfig config,
      Supplier<?> effectiveConfig,
      MicrometerBinding metrics,
      LatencyRecorders recorders,
      BooleanSupplier ready,
      Supplier<Map<String, Object>> mirrorStats) {
    this.config = config;
    try {
      this.tokens = ConfigFiles.readTokens(config);
    } catch (ConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
    StatsEndpoints stats = new StatsEndpoints(recorders, mirrorStats);
    PrometheusMeterRegistry registry = metrics.prometheusRegistry();
    route(HttpMethod.GET, "/healthz", r -> AdminResponse.text(200, "ok"));
    route(
        HttpMethod.GET,
        "/readyz",
        r ->
            ready.getAsBoolean()
                ? AdminResponse.text(200, "ready")
                : AdminResponse.text(503, "not ready"));
    route(HttpMethod.GET, "/metrics", r -> scrape(registry, r));
    DashboardPage dashboard = new DashboardPage();
    route(HttpMethod.GET, "/", dashboard);
    route(HttpMethod.GET, "/dashboard", dashboard);
    route(HttpMethod.GET, "/admin/stats", stats::stats);
    route(HttpMethod.GET, "/admin/histograms", stats::histograms);
    route(
        HttpMethod.GET,
        "/admin/config",
        r ->
            new AdminResponse(
                200, AdminResponse.JSON_TYPE, ConfigJson.render(effectiveConfig.get()), Map.of()));
  }

  private static AdminResponse scrape(PrometheusMeterRegistry registry, AdminRequest request) {
    String accept = request.headers().get("Accept");
    String type =
        accept != null && accept.contains("application/openmetrics-text")
            ? OPENMETRICS_TYPE
            : PROMETHEUS_TYPE;
    return new AdminResponse(
        200, type, registry.scrape(type).getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** Adds an endpoint at the exact {@code path}; may be called before or after {@link #start}. */
  public AdminServer route(HttpMethod method, String path, AdminHandler handler) {
    routes.add(method, path, handler);
    return this;
  }

  /**
   * Adds an endpoint that changes state: POST only (other methods get 405 with {@code Allow: POST})
   * and, when {@code admin.tokenFile} is set, only with {@code Authorization: Bearer <token>} (else
   * 401; 403 for the read-only token).
   */
  public AdminServer mutatingRoute(String path, AdminHandler handler) {
    routes.addMutating(path, handler);
    return this;
  }

  /**
   * Checks the address and binds. Throws {@link IllegalArgumentException} naming {@code
   * admin.listen} when it is not acceptable.
   */
  public synchronized void start() throws InterruptedException {
    start(null);
  }

  /**
   * As {@link #start()}, on {@code loops} when not null: the proxy's event loops, so that the admin
   * listener adds no thread and no second transport (its requests are small and answered from
   * memory). With {@code null} it gets one NIO event loop of its own, which {@link #stop} ends.
   */
  public synchronized void start(EventLoopGroup loops) throws InterruptedException {
    if (channel != null) {
      throw new IllegalStateException("already started");
    }
    HostPort listen = config.listen() == null ? new HostPort("127.0.0.1", 9901) : config.listen();
    InetAddress address = resolve(listen);
    if (!address.isLoopbackAddress() && tokens.control() == null) {
      throw new IllegalArgumentException(
          "admin.listen: "
              + listen
              + " (expected: a loopback address, or set admin.tokenFile to expose it)");
    }
    routes.access(
        new AdminAccess(
            address.isLoopbackAddress(), config.publicMetrics(), tokens.control(), tokens.read()));
    ownGroup = loops == null;
    group = ownGroup ? new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory()) : loops;
    try {
      channel =
          new ServerBootstrap()
              .group(group)
              .channel(ownGroup ? NioServerSocketChannel.class : Transports.serverChannel())
              // The pooled allocator, as the proxy's channels use (see ProxyServer): Netty 4.2's
              // default would add an adaptive allocator's memory for admin traffic alone, memory
              // the canary_proxy_netty_allocator_* meters (bound to the pooled one) do not show.
              .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
              .childOption(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      addHttpHandlers(ch.pipeline(), routes);
                    }
                  })
              .bind(new InetSocketAddress(address, listen.port()))
              .sync()
              .channel();
    } catch (RuntimeException | InterruptedException e) {
      if (ownGroup) {
        group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      }
      group = null;
      throw e;
    }
  }

  /**
   * The whole admin pipeline: idle connections closed after {@link #IDLE_SECONDS}, HTTP/1.1 codec,
   * aggregation up to {@link #MAX_CONTENT_BYTES}, routing.
   */
  static void addHttpHandlers(ChannelPipeline p, AdminRoutes routes) {
    p.addLast("idle", new ReadTimeoutHandler(IDLE_SECONDS));
    p.addLast("http", new HttpServerCodec());
    p.addLast("aggregator", new HttpObjectAggregator(MAX_CONTENT_BYTES));
    p.addLast("admin", new AdminRequestHandler(routes));
  }

  private static InetAddress resolve(HostPort listen) {
    try {
      return InetAddress.getByName(listen.host());
    } catch (UnknownHostException e) {
      throw new IllegalArgumentException(
          "admin.listen: " + listen + " (expected: a resolvable host)", e);
    }
  }

  /** The bound port, e.g. the one the OS chose for port 0; -1 before {@link #start}. */
  public synchronized int port() {
    return channel == null ? -1 : ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /**
   * Closes the listener, and its event loop when it has one of its own; waits at most a few
   * seconds. On shared loops, open admin connections close when those loops stop.
   */
  public synchronized void stop() throws InterruptedException {
    if (channel != null) {
      channel.close().await(5, TimeUnit.SECONDS);
      channel = null;
    }
    if (group != null && ownGroup) {
      group.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
    group = null;
  }
}
