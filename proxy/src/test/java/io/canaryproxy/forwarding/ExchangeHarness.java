package io.canaryproxy.forwarding;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.server.ProxyChannelInitializer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;

/**
 * One client connection through the real proxy pipeline (decoder, guard, HTTP/1 adapter, {@link
 * Forwarder}), with every backend connection an {@link EmbeddedChannel} assembled by the real
 * backend pipeline: the exchange is driven by hand, byte for byte, on one thread. The next
 * connections a test wants to fail to open are queued with {@link #failNextConnect}.
 */
final class ExchangeHarness implements AutoCloseable {
  final EmbeddedChannel client;
  final List<EmbeddedChannel> backends = new ArrayList<>();
  final List<Exchange> completed = new ArrayList<>();
  final List<UpstreamFailure> failures = new ArrayList<>();
  private final Queue<Throwable> connectFailures = new ArrayDeque<>();
  private boolean holdNext;
  private HoldConnect held;

  /**
   * @param extraYaml top-level YAML added to a config with a {@code stable} and a {@code canary}
   *     backend (0% canary ; literal addresses: nothing is resolved or connected for real)
   */
  ExchangeHarness(String extraYaml) throws Exception {
    ProxyConfig config =
        ConfigLoader.parse(
            String.join(
                "\n",
                "listen: 127.0.0.1:0",
                "ioThreads: 1",
                "admin:",
                "  listen: 127.0.0.1:0",
                "backends:",
                "  stable: { endpoints: [\"127.0.0.1:18001\"] }",
                "  canary: { endpoints: [\"127.0.0.1:18002\"] }",
                "routing:",
                "  canaryPercent: 0",
                extraYaml,
                ""));
    ProxyChannelInitializer initializer =
        new ProxyChannelInitializer(config.limits(), config.timeouts());
    ProxyListener listener =
        new ProxyListener() {
          @Override
          public void onExchangeComplete(Exchange exchange) {
            completed.add(exchange.snapshot()); // the forwarder reuses the object
          }

          @Override
          public void onUpstreamFailure(String backend, Exchange exchange, UpstreamFailure f) {
            failures.add(f);
          }
        };
    ForwardingContext forwarding =
        new ForwardingContext(
            new Router(RoutingTable.compile(config.routing())),
            config.backends(),
            new EndpointDirectory(config.dns()),
            config.timeouts(),
            listener,
            null,
            initializer);
    forwarding.setBackendChannelFactory(
        () -> {
          Throwable failure = connectFailures.poll();
          EmbeddedChannel backend;
          if (failure != null) {
            backend =
                new EmbeddedChannel(
                    DefaultChannelId.newInstance(), false, false, new FailConnect(failure));
          } else if (holdNext) {
            holdNext = false;
            held = new HoldConnect();
            backend = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false, held);
          } else {
            backend = new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
          }
          backends.add(backend);
          return backend;
        });
    initializer.setForwarding(forwarding);
    client = new EmbeddedChannel();
    forwarding.initPools(client.eventLoop());
    client.pipeline().addLast(initializer);
    client.pipeline().fireChannelActive(); // registered before the proxy's handlers were added
    client.runPendingTasks();
  }

  /** The next backend connection attempt fails with {@code cause}. */
  void failNextConnect(Throwable cause) {
    connectFailures.add(cause);
  }

  /** The next backend connection stays connecting until {@link #completeConnect}. */
  void holdNextConnect() {
    holdNext = true;
  }

  /** The held connection attempt succeeds now. */
  void completeConnect() {
    held.proceed();
    client.runPendingTasks();
  }

  /** Client bytes arrive at the proxy. */
  void clientSends(String raw) {
    client.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    client.runPendingTasks();
  }

  /** Backend {@code i} answers with {@code raw}. */
  void backendSends(int i, String raw) {
    backends.get(i).writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    client.runPendingTasks();
  }

  /** Everything the proxy wrote to backend {@code i} since the last call. */
  String backendReceived(int i) {
    return drain(backends.get(i));
  }

  /** Everything the proxy wrote to the client since the last call. */
  String clientReceived() {
    client.runPendingTasks();
    return drain(client);
  }

  private static String drain(EmbeddedChannel ch) {
    StringBuilder out = new StringBuilder();
    Object msg;
    while ((msg = ch.readOutbound()) != null) {
      ByteBuf buf = (ByteBuf) msg;
      out.append(buf.toString(StandardCharsets.ISO_8859_1));
      buf.release();
    }
    return out.toString();
  }

  /**
   * Sets whether {@code ch} can take more bytes, as a socket whose send buffer filled up would (a
   * user-defined writability bit, which Netty reports like the real one).
   */
  static void setWritable(EmbeddedChannel ch, boolean writable) {
    ch.unsafe().outboundBuffer().setUserDefinedWritability(1, writable);
    ch.runPendingTasks();
  }

  /** Releases whatever is left; returns true when anything was (a leaked message). */
  @Override
  public void close() {
    client.finishAndReleaseAll();
    for (EmbeddedChannel b : backends) {
      b.finishAndReleaseAll();
    }
  }

  /** Keeps a connect pending until {@link #proceed}, as a slow network would. */
  private static final class HoldConnect extends ChannelOutboundHandlerAdapter {
    private ChannelHandlerContext ctx;
    private SocketAddress remote;
    private SocketAddress local;
    private ChannelPromise promise;

    @Override
    public void connect(
        ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise p) {
      this.ctx = ctx;
      this.remote = remote;
      this.local = local;
      this.promise = p;
    }

    void proceed() {
      ctx.connect(remote, local, promise);
    }
  }

  /** Fails every connect, as a refused or timed-out socket would. */
  private static final class FailConnect extends ChannelOutboundHandlerAdapter {
    private final Throwable cause;

    FailConnect(Throwable cause) {
      this.cause = cause;
    }

    @Override
    public void connect(
        ChannelHandlerContext ctx, SocketAddress remote, SocketAddress local, ChannelPromise p) {
      p.setFailure(cause);
    }

    @Override
    public boolean isSharable() {
      return false;
    }
  }
}
