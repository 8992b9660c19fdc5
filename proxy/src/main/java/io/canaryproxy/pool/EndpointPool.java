package io.canaryproxy.pool;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.DefaultChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import javax.net.ssl.SSLHandshakeException;

/**
 * Keep-alive connections from one event loop to one endpoint address, at most {@code
 * maxConnections} open or opening. Touched only by that event loop, so it takes no lock. Idle
 * connections are reused most-recently-used first, which keeps the warm ones warm and lets the
 * others reach the idle timeout. Made by a {@link Connector}.
 *
 * <p>An HTTP/2 endpoint ({@link Multiplexing}) has no idle connections: {@link #open} opens a
 * stream on a connection that has room under its peer's stream limit, or on a new connection when
 * none has (still at most {@code maxConnections}); a new connection takes streams once its peer's
 * first SETTINGS arrived (see {@link MultiplexedConnection}).
 */
public final class EndpointPool {
  /**
   * Every HTTP/2 connection the pool may open is full under its peer's {@code
   * SETTINGS_MAX_CONCURRENT_STREAMS}: the HTTP/2 form of {@code pool_exhausted}, found once a new
   * connection's SETTINGS showed a lower limit than assumed.
   */
  public static final class PoolExhaustedException extends Exception {
    private static final long serialVersionUID = 1L;

    PoolExhaustedException(InetSocketAddress address) {
      super(
          "every HTTP/2 connection to " + address + " is at its stream limit", null, false, false);
    }
  }

  private final InetSocketAddress address;
  private Bootstrap bootstrap;
  private final int maxConnections;
  private final IntConsumer openConnections;
  private final String role;
  private final ConnectionTls tls;
  private final ArrayDeque<PooledConnection> idle = new ArrayDeque<>();

  /** How streams are opened, or {@code null} for HTTP/1.1 connections. */
  private final Multiplexing multiplexing;

  /** The HTTP/2 connections, oldest first (empty for HTTP/1.1). */
  private final List<MultiplexedConnection> multiplexed = new ArrayList<>();

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
    this(address, maxConnections, openConnections, role, tls, null);
  }

  EndpointPool(
      InetSocketAddress address,
      int maxConnections,
      IntConsumer openConnections,
      String role,
      ConnectionTls tls,
      Multiplexing multiplexing) {
    this.multiplexing = multiplexing;
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

  /** True when this endpoint speaks HTTP/2: one stream per exchange, see {@link #open}. */
  public boolean multiplexed() {
    return multiplexing != null;
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

  /**
   * True when another connection may be opened; for HTTP/2, when a connection has room for another
   * stream or another connection may be opened.
   */
  public boolean canOpen() {
    return open < maxConnections || roomy() != null;
  }

  /**
   * A connection for one exchange: a new HTTP/1.1 connection (see {@link #connect}), or a new
   * stream on an HTTP/2 connection that has room, opening another connection when none has. The
   * future fails as {@link #connect} does. Call only when {@link #canOpen}.
   */
  public Future<PooledConnection> open() {
    Promise<PooledConnection> result = bootstrap.config().group().next().newPromise();
    if (multiplexing == null) {
      connect()
          .addListener(
              (ChannelFutureListener)
                  f -> {
                    if (f.isSuccess()) {
                      result.trySuccess(f.channel().pipeline().get(PooledConnection.class));
                    } else {
                      result.tryFailure(f.cause());
                    }
                  });
      return result;
    }
    openStream(result, false);
    return result;
  }

  /**
   * Opens a stream for {@code result} on the oldest HTTP/2 connection with room, or on a new one.
   * {@code again} when a connection that looked roomy turned out full or going away once ready:
   * then, with no room and no other connection allowed, {@code result} fails with {@link
   * PoolExhaustedException}.
   */
  void openStream(Promise<PooledConnection> result, boolean again) {
    MultiplexedConnection c = roomy();
    if (c == null) {
      if (open >= maxConnections) {
        result.tryFailure(new PoolExhaustedException(address));
        return;
      }
      ChannelFuture f = connect();
      c = f.channel().pipeline().get(MultiplexedConnection.class);
      if (c == null) {
        // Registration failed before the pipeline was assembled.
        f.addListener(done -> result.tryFailure(done.cause()));
        return;
      }
      c.connecting(f, promise(f.channel()), prefaceTimeoutMillis());
      multiplexed.add(c);
      MultiplexedConnection fresh = c;
      f.addListener(
          done -> {
            if (!done.isSuccess()) {
              multiplexed.remove(fresh);
            }
          });
    }
    c.openStream(multiplexing, result, again);
  }

  /** How long a new HTTP/2 connection may take to send its SETTINGS: the connect timeout. */
  private long prefaceTimeoutMillis() {
    Object millis = bootstrap.config().options().get(ChannelOption.CONNECT_TIMEOUT_MILLIS);
    return millis instanceof Integer m ? m : 30_000;
  }

  /** The oldest HTTP/2 connection with room for another stream, or {@code null}. */
  private MultiplexedConnection roomy() {
    for (int i = 0; i < multiplexed.size(); i++) {
      MultiplexedConnection c = multiplexed.get(i);
      if (c.hasRoom()) {
        return c;
      }
    }
    return null;
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
                        if (h.isSuccess() && multiplexing != null && !isH2(ssl)) {
                          ready.tryFailure(
                              new SSLHandshakeException(
                                  "the backend did not select h2 by ALPN (selected: "
                                      + ssl.applicationProtocol()
                                      + ")"));
                          channel.close();
                        } else if (h.isSuccess()) {
                          if (multiplexing != null) {
                            multiplexing.assembleConnection(
                                channel.pipeline(),
                                channel.pipeline().get(MultiplexedConnection.class));
                          }
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

  private static boolean isH2(SslHandler ssl) {
    return ApplicationProtocolNames.HTTP_2.equals(ssl.applicationProtocol());
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
    for (MultiplexedConnection c : new ArrayList<>(multiplexed)) {
      c.drain();
    }
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

  void onClosed(MultiplexedConnection c) {
    open--;
    multiplexed.remove(c);
    openConnections.accept(-1);
  }

  private void closeIdle() {
    PooledConnection c;
    while ((c = idle.pollLast()) != null) {
      c.channel().close();
    }
  }
}
