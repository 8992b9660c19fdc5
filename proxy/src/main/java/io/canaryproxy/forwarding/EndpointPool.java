package io.canaryproxy.forwarding;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;

/**
 * Keep-alive connections from one event loop to one backend endpoint. Touched only by that event
 * loop, so it takes no lock. Idle connections are reused most-recently-used first, which keeps the
 * warm ones warm and lets the others reach the idle timeout.
 */
final class EndpointPool {
  private final InetSocketAddress address;
  private Bootstrap bootstrap;
  private final int maxConnections;
  private final ProxyListener listener;
  private final ArrayDeque<BackendConnection> idle = new ArrayDeque<>();

  /**
   * set once the endpoint left the configuration or the DNS answer: connections close when their
   * request ends
   */
  private boolean retired;

  /** connections open or being opened */
  private int open;

  /** requests assigned to this endpoint and not yet finished */
  private int inFlight;

  EndpointPool(InetSocketAddress address, int maxConnections, ProxyListener listener) {
    this.address = address;
    this.maxConnections = maxConnections;
    this.listener = listener;
  }

  void setBootstrap(Bootstrap bootstrap) {
    this.bootstrap = bootstrap;
  }

  int maxConnections() {
    return maxConnections;
  }

  InetSocketAddress address() {
    return address;
  }

  int inFlight() {
    return inFlight;
  }

  /** An idle, open connection, or {@code null}. */
  BackendConnection pollIdle() {
    BackendConnection c;
    while ((c = idle.pollLast()) != null) {
      if (c.channel().isActive()) {
        return c;
      }
    }
    return null;
  }

  /** True when another connection may be opened. */
  boolean canOpen() {
    return open < maxConnections;
  }

  /** Starts a new connection; its pipeline ends with a {@link BackendConnection}. */
  ChannelFuture connect() {
    open++;
    ChannelFuture f = connectResolved();
    f.addListener(
        (ChannelFutureListener)
            future -> {
              if (!future.isSuccess()) {
                open--;
              }
            });
    return f;
  }

  /**
   * What {@code Bootstrap.connect} does for an address that needs no resolving (names were resolved
   * by the {@code EndpointDirectory}), without asking the event loop's resolver group, which would
   * look the name up again and which an {@code EmbeddedEventLoop} cannot host.
   */
  private ChannelFuture connectResolved() {
    ChannelFuture registered = bootstrap.register();
    Channel channel = registered.channel();
    ChannelPromise connected = channel.newPromise();
    registered.addListener(
        (ChannelFutureListener)
            r -> {
              if (r.isSuccess()) {
                channel.connect(address, connected);
              } else {
                connected.setFailure(r.cause());
              }
            });
    return connected;
  }

  void requestStarted() {
    inFlight++;
  }

  void requestFinished() {
    inFlight--;
  }

  /**
   * Takes back a connection whose exchange ended cleanly; closes it instead when the endpoint is
   * retired.
   */
  void offer(BackendConnection c) {
    if (retired) {
      c.channel().close();
    } else {
      idle.addLast(c);
    }
  }

  /**
   * No new request will pick this endpoint: close the idle connections now and the busy ones when
   * they are done.
   */
  void retire() {
    retired = true;
    closeIdle();
  }

  void onOpened() {
    listener.onBackendConnection(1);
  }

  void onClosed(BackendConnection c) {
    open--;
    idle.remove(c);
    listener.onBackendConnection(-1);
  }

  /** Closes every idle connection; used when the proxy stops. */
  void closeIdle() {
    BackendConnection c;
    while ((c = idle.pollLast()) != null) {
      c.channel().close();
    }
  }
}
