package io.canaryproxy.mirroring;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.EndpointDirectory;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keep-alive connections of one event loop to the endpoints of one backend, for mirrored copies
 * only: separate objects from the primary's pools, so a slow shadow can never take a primary
 * connection. Touched only by its event loop. Addresses come from the {@link EndpointDirectory} and
 * are re-read whenever it changed; the addresses of a name are all used, in turn. An address that
 * leaves the answer is retired: idle connections close, busy ones when their copy ends.
 */
final class ShadowPools {
  private final EndpointDirectory directory;
  private final List<HostPort> hosts;
  private final int maxConnections;
  private final Bootstrap bootstrap;
  private final BackendPipelineFactory pipelines;
  private Map<HostPort, List<InetSocketAddress>> seen;
  private Map<InetSocketAddress, Endpoint> byAddress = new HashMap<>();
  private Endpoint[] endpoints = new Endpoint[0];
  private int next;

  ShadowPools(
      EventLoop loop,
      BackendConfig config,
      EndpointDirectory directory,
      int connectTimeoutMillis,
      BackendPipelineFactory pipelines) {
    this.directory = directory;
    this.hosts = config.endpoints();
    this.maxConnections = config.maxConnections();
    this.pipelines = pipelines;
    this.bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(Transports.clientChannel())
            .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, connectTimeoutMillis)
            .option(ChannelOption.ALLOCATOR, PooledByteBufAllocator.DEFAULT)
            .option(ChannelOption.TCP_NODELAY, true);
  }

  /** The next endpoint in turn, or {@code null} when no endpoint name has resolved yet. */
  Endpoint pick() {
    Map<HostPort, List<InetSocketAddress>> now = directory.snapshot();
    if (now != seen) {
      refresh(now);
    }
    if (endpoints.length == 0) {
      return null;
    }
    next = next >= endpoints.length - 1 ? 0 : next + 1;
    return endpoints[next];
  }

  private void refresh(Map<HostPort, List<InetSocketAddress>> now) {
    seen = now;
    Map<InetSocketAddress, Endpoint> fresh = new LinkedHashMap<>();
    for (HostPort hp : hosts) {
      for (InetSocketAddress address : directory.addresses(hp)) {
        Endpoint e = byAddress.get(address);
        fresh.put(address, e != null ? e : newEndpoint(address));
      }
    }
    for (Map.Entry<InetSocketAddress, Endpoint> e : byAddress.entrySet()) {
      if (!fresh.containsKey(e.getKey())) {
        e.getValue().retire();
      }
    }
    byAddress = fresh;
    endpoints = fresh.values().toArray(new Endpoint[0]);
  }

  private Endpoint newEndpoint(InetSocketAddress address) {
    Endpoint e = new Endpoint(address, maxConnections);
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
    return e;
  }

  /** One endpoint's idle connections, most recently used first. */
  static final class Endpoint {
    private final InetSocketAddress address;
    private final int maxConnections;
    private final ArrayDeque<ShadowConnection> idle = new ArrayDeque<>();
    private Bootstrap bootstrap;
    private int open;
    private boolean retired;

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
      if (retired) {
        c.channel().close();
      } else {
        idle.addLast(c);
      }
    }

    void retire() {
      retired = true;
      ShadowConnection c;
      while ((c = idle.pollLast()) != null) {
        c.channel().close();
      }
    }

    void onClosed(ShadowConnection c) {
      open--;
      idle.remove(c);
    }
  }
}
