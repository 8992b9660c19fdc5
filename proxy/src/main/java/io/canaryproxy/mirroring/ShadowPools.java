package io.canaryproxy.mirroring;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.forwarding.BackendPipelineFactory;
import io.canaryproxy.server.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.List;

/**
 * The keep-alive connections of one event loop to the endpoints of one backend, for mirrored copies only: separate
 * objects from the primary's pools, so a slow shadow can never take a primary connection. Touched only by its event
 * loop. Endpoints are used in turn.
 */
final class ShadowPools {
  private final Endpoint[] endpoints;
  private int next;

  ShadowPools(EventLoop loop, BackendConfig config, int connectTimeoutMillis, BackendPipelineFactory pipelines) {
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(Transports.clientChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.TCP_NODELAY, true);
    List<HostPort> hosts = config.endpoints();
    endpoints = new Endpoint[hosts.size()];
    for (int i = 0; i < endpoints.length; i++) {
      HostPort hp = hosts.get(i);
      Endpoint e = new Endpoint(new InetSocketAddress(hp.host(), hp.port()), config.maxConnections());
      e.bootstrap =
          bootstrap
              .clone()
              .handler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      pipelines.assemble(ch.pipeline(), new ShadowConnection(e));
                    }
                  });
      endpoints[i] = e;
    }
  }

  Endpoint pick() {
    Endpoint e = endpoints[next];
    next = (next + 1) % endpoints.length;
    return e;
  }

  /** One endpoint's idle connections, most recently used first. */
  static final class Endpoint {
    private final InetSocketAddress address;
    private final int maxConnections;
    private final ArrayDeque<ShadowConnection> idle = new ArrayDeque<>();
    private Bootstrap bootstrap;
    private int open;

    Endpoint(InetSocketAddress address, int maxConnections) {
      this.address = address;
      this.maxConnections = maxConnections;
    }

    InetSocketAddress address() {
      return address;
    }

    ShadowConnection pollIdle() {
      ShadowConnection c;
      while ((c = idle.pollLast()) != null) {
        if (c.channel().isActive()) {
          return c;
        }
      }
      return null;
    }

    boolean canOpen() {
      return open < maxConnections;
    }

    ChannelFuture connect() {
      open++;
      ChannelFuture f = bootstrap.connect(address);
      f.addListener(
          (ChannelFutureListener)
              future -> {
                if (!future.isSuccess()) {
                  open--;
                }
              });
      return f;
    }

    void offer(ShadowConnection c) {
      idle.addLast(c);
    }

    void onClosed(ShadowConnection c) {
      open--;
      idle.remove(c);
    }
  }
}
