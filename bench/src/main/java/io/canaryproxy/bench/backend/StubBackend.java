package io.canaryproxy.bench.backend;

import io.canaryproxy.pool.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * A Netty HTTP/1.1 stub backend with a configurable latency distribution, error rate, body, a
 * scheduled degradation ("the canary turns bad after 30 s") and an optional one-off stall. Delays
 * are scheduled on the event loop; nothing sleeps. Start one with {@code
 * StubBackend.builder().latency(Duration.ofMillis(20)).start()} and stop it with {@link #close()}.
 */
public final class StubBackend implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel server;
  private final Settings settings;
  private final LongAdder served = new LongAdder();

  private StubBackend(Settings settings) throws InterruptedException {
    this.settings = settings;
    this.group = Transports.newGroup(settings.threads, "stub-backend");
    long startNanos = System.nanoTime();
    try {
      ServerBootstrap b =
          new ServerBootstrap()
              .group(group)
              .channel(Transports.serverChannel())
              .option(ChannelOption.SO_BACKLOG, 1024)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast("codec", new HttpServerCodec())
                          .addLast("aggregator", new HttpObjectAggregator(1 << 20))
                          .addLast("stub", new StubBackendHandler(settings, startNanos, served));
                    }
                  });
      this.server = b.bind(new InetSocketAddress(settings.host, settings.port)).sync().channel();
    } catch (InterruptedException | RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  /**
   * A builder with defaults: 127.0.0.1, port 0 (any free port), no latency, no errors, body {@code
   * ok}.
   */
  public static Builder builder() {
    return new Builder();
  }

  /** The port the backend is bound to (useful with port 0). */
  public int port() {
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Requests answered so far (errors included). */
  public long served() {
    return served.sum();
  }

  /** One line describing the configuration, for the startup banner. */
  public String describe() {
    StringBuilder sb = new StringBuilder();
    sb.append("latency=")
        .append(settings.latency)
        .append(" error-rate=")
        .append(settings.errorRate);
    sb.append(" body=").append(settings.body.length).append("B");
    if (settings.degradeAfterNanos >= 0) {
      sb.append(" degrade-after=")
          .append(Duration.ofNanos(settings.degradeAfterNanos).toMillis())
          .append("ms")
          .append(" degraded-latency=")
          .append(settings.degradedLatency)
          .append(" degraded-error-rate=")
          .append(settings.degradedErrorRate);
    }
    if (settings.stallForNanos > 0) {
      sb.append(" stall-after=")
          .append(Duration.ofNanos(settings.stallAfterNanos).toMillis())
          .append("ms")
          .append(" stall-for=")
          .append(Duration.ofNanos(settings.stallForNanos).toMillis())
          .append("ms");
    }
    if (settings.variantName != null) {
      sb.append(" x-backend=").append(settings.variantName);
    }
    return sb.toString();
  }

  /** Closes the listener and every connection, waiting at most a few seconds. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Immutable settings shared by every connection's handler. */
  static final class Settings {
    String host = "127.0.0.1";
    int port;
    int threads = 1;
    LatencyDistribution latency = LatencyDistribution.fixed(Duration.ZERO);
    double errorRate;
    byte[] body = "ok\n".getBytes(StandardCharsets.UTF_8);
    String variantName;
    Map<String, String> headers = new LinkedHashMap<>();
    long degradeAfterNanos = -1;
    LatencyDistribution degradedLatency;
    double degradedErrorRate = -1;
    long stallAfterNanos;
    long stallForNanos;
  }

  /** Builds a {@link StubBackend}; every setter checks its argument. */
  public static final class Builder {
    private final Settings s = new Settings();

    private Builder() {}

    /** Address to bind; default 127.0.0.1. */
    public Builder host(String host) {
      s.host = host;
      return this;
    }

    /** Port to bind, 0..65535; 0 (the default) picks a free port. */
    public Builder port(int port) {
      check(port >= 0 && port <= 65535, "port", port, "0..65535");
      s.port = port;
      return this;
    }

    /** Event-loop threads, 1..64; default 1. */
    public Builder threads(int threads) {
      check(threads >= 1 && threads <= 64, "threads", threads, "1..64");
      s.threads = threads;
      return this;
    }

    /** A fixed delay before each response; default 0. */
    public Builder latency(Duration latency) {
      s.latency = LatencyDistribution.fixed(latency);
      return this;
    }

    /** The delay distribution before each response. */
    public Builder latency(LatencyDistribution latency) {
      s.latency = latency;
      return this;
    }

    /** Share of requests answered with 500, 0..1; default 0. */
    public Builder errorRate(double rate) {
      check(rate >= 0 && rate <= 1, "error-rate", rate, "0..1");
      s.errorRate = rate;
      return this;
    }

    /** The response body text; default {@code ok\n}. */
    public Builder body(String text) {
      s.body = text.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    /** A response body of exactly {@code bytes} bytes, 0..64MiB, instead of the text body. */
    public Builder responseSize(int bytes) {
      check(bytes >= 0 && bytes <= 64 << 20, "response-size", bytes, "0..67108864");
      byte[] body = new byte[bytes];
      for (int i = 0; i < bytes; i++) {
        body[i] = (byte) ('a' + i % 26);
      }
      s.body = body;
      return this;
    }

    /** Echoed in the {@code x-backend} response header so tests can see which backend answered. */
    public Builder variantName(String name) {
      s.variantName = name;
      return this;
    }

    /** An extra header added to every response (for example {@code x-canary-variant: canary}). */
    public Builder responseHeader(String name, String value) {
      s.headers.put(name, value);
      return this;
    }

    /**
     * After {@code after} from start, use {@code latency} and {@code errorRate} instead of the
     * normal ones: the backend turns bad mid-run.
     */
    public Builder degradeAfter(Duration after, LatencyDistribution latency, double errorRate) {
      check(!after.isNegative(), "degrade-after", after, ">= 0");
      check(errorRate >= 0 && errorRate <= 1, "degraded-error-rate", errorRate, "0..1");
      s.degradeAfterNanos = after.toNanos();
      s.degradedLatency = latency;
      s.degradedErrorRate = errorRate;
      return this;
    }

    /**
     * Once, {@code after} from start, hold every response until {@code length} has passed (a
     * GC-pause-like stall): requests that arrive in that window are answered at its end at the
     * earliest.
     */
    public Builder stall(Duration after, Duration length) {
      check(!after.isNegative(), "stall-after", after, ">= 0");
      check(!length.isNegative(), "stall-for", length, ">= 0");
      s.stallAfterNanos = after.toNanos();
      s.stallForNanos = length.toNanos();
      return this;
    }

    /** Binds and starts serving; the returned backend must be closed. */
    public StubBackend start() throws InterruptedException {
      return new StubBackend(s);
    }

    private static void check(boolean ok, String name, Object value, String expected) {
      if (!ok) {
        throw new IllegalArgumentException(name + ": " + value + " (expected: " + expected + ")");
      }
    }
  }
}
