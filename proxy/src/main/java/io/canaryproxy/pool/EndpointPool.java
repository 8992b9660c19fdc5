package io.canaryproxy.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;
import javax.net.ssl.SSLHandshakeException;

/**
 * Keep-alive connections from one event loop to one endpoint address, at most {@code
 * maxConnections} open or opening. Touched only by that event loop, so it takes no lock. Idle
 * connections are reused most-recently-used first, which keeps the warm ones warm and lets the
 * others reach the idle timeout. Made by a {@link Connector}.
 */
public final class EndpointPool {
  private final InetSocketAddress address;
  private Bootstrap bootstrap;
  private final int maxConnections;
  private final IntConsumer openConnections;
  private final String role;
  private final ConnectionTls tls;
  private final ArrayDeque<PooledConnection> idle = new ArrayDeque<>();

  /**
   * set once the endpoint left the configuration or the DNS answer: connections close when their
   * request ends
   */
  private boolean retired;

  /** connections open or being opened */
  private int open;

  /** requests assigned to this endpoint and not yet finished */
  private int inFlight;

  EndpointPool(
      InetSocketAddress address,
      int maxConnections,
      IntConsumer openConnections,
      String role,
      ConnectionTls tls) {
    this.tls = tls;
    this.address = address;
    this.maxConnections = maxConnections;
    this.openConnections = openConnections;
    this.role = role;
  }

  void setBootstrap(Bootstrap bootstrap) {
    this.bootstrap = bootstrap;
  }

  /** How this pool's connections speak TLS, or {@code null} for plain TCP. */
  public ConnectionTls tls() {
    return tls;
  }

  public int maxConnections() {
    return maxConnections;
  }

  public InetSocketAddress address() {
    return address;
  }

  /** Requests assigned to this endpoint and not yet finished (see {@link #requestStarted}). */
  public int inFlight() {
    return inFlight;
  }

  /** An idle, open connection, or {@code null}. */
  public PooledConnection pollIdle() {
    PooledConnection c;
    while ((c = idle.pollLast()) != null) {
      if (c.channel().isActive()) {
        return c;
      }
    }
    return null;
  }

  /** True when another connection may be opened. */
  public boolean canOpen() {
    return open < maxConnections;
  }

  /**
   * Starts a new connection; its pipeline ends with a {@link PooledConnection}. With TLS the future
   * completes once the handshake did; a failed handshake fails it with an {@link
   * SSLHandshakeException} carrying the reason, and closes the connection.
   */
  public ChannelFuture connect() {
    open++;
    ChannelFuture f = connectResolved();
    f.addListener(
        (ChannelFutureListener)
            future -> {
              if (!future.isSuccess()) {
                open--;
              }
            });
    return tls == null ? f : afterHandshake(f);
  }

  private ChannelFuture afterHandshake(ChannelFuture connected) {
    Channel channel = connected.channel();
    ChannelPromise ready = promise(channel);
    connected.addListener(
        (ChannelFutureListener)
            c -> {
              if (!c.isSuccess()) {
                ready.tryFailure(c.cause());
                return;
              }
              SslHandler ssl = channel.pipeline().get(SslHandler.class);
              ssl.handshakeFuture()
                  .addListener(
                      h -> {
                        if (h.isSuccess()) {
                          ready.trySuccess();
                        } else {
                          // The channel was counted as open: its close is counted by onClosed.
                          SSLHandshakeException failure =
                              new SSLHandshakeException(reason(h.cause()));
                          failure.initCause(h.cause());
                          ready.tryFailure(failure);
                          channel.close();
                        }
                      });
            });
    return ready;
  }

  private ChannelPromise promise(Channel channel) {
    return new DefaultChannelPromise(channel, (EventLoop) bootstrap.config().group());
  }

  /** The innermost message of a handshake failure: the certificate problem, not its wrappers. */
  private static String reason(Throwable cause) {
    String reason = String.valueOf(cause);
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t.getMessage() != null) {
        reason = t.getMessage();
      }
    }
    return reason;
  }

  /**
   * What {@code Bootstrap.connect} does for an address that needs no resolving (names were resolved
   * by the {@code EndpointDirectory}), without asking the event loop's resolver group, which would
   * look the name up again and which an {@code EmbeddedEventLoop} cannot host.
   */
  private ChannelFuture connectResolved() {
    ChannelFuture registered = bootstrap.register();
    Channel channel = registered.channel();
    // Bound to the pool's loop, not the channel's: when no socket could be made (EMFILE: too many
    // open files) the channel is a placeholder that never gets a loop, and a promise of its own
    // could not even be failed, leaving the request waiting forever instead of answering 502.
    ChannelPromise connected = promise(channel);
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

  public void requestStarted() {
    inFlight++;
  }

  public void requestFinished() {
    inFlight--;
  }

  /**
   * Takes back a connection whose exchange ended cleanly; closes it instead when the endpoint is
   * retired.
   */
  void offer(PooledConnection c) {
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
  public void retire() {
    retired = true;
    closeIdle();
  }

  String role() {
    return role;
  }

  void onOpened() {
    openConnections.accept(1);
  }

  void onClosed(PooledConnection c) {
    open--;
    idle.remove(c);
    openConnections.accept(-1);
  }

  private void closeIdle() {
    PooledConnection c;
    while ((c = idle.pollLast()) != null) {
      c.channel().close();
    }
  }
}
