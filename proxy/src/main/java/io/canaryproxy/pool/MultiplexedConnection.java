package io.canaryproxy.pool;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.ConnectTimeoutException;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 backend connection's pipeline, and the pool's view of it: how many
 * streams it carries, how many its peer allows ({@code SETTINGS_MAX_CONCURRENT_STREAMS}, RFC 9113
 * §6.5.2), and whether it still takes new streams. A GOAWAY, or the endpoint leaving the
 * configuration, stops new streams while the ones in flight finish; the connection closes once it
 * carries none. Each stream is a {@link PooledConnection} of its own, without a channel: the
 * protocol adapter's connection handler carries it. Event-loop only.
 *
 * <p>The connection is ready for streams only once the peer's first SETTINGS arrived (its
 * connection preface, RFC 9113 §3.4), within the connect timeout after TCP (and TLS): a backend
 * that never sends it fails the requests waiting for it as a connect timeout and the connection is
 * closed, never reused. Waiting costs at most one round trip per new connection, and the streams
 * are then opened under the limit the peer really set: those past it go to another connection, or
 * fail as {@link EndpointPool.PoolExhaustedException} when the pool may open no other.
 */
public final class MultiplexedConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(MultiplexedConnection.class);

  /**
   * Streams assumed allowed until the peer's first SETTINGS says otherwise: the minimum RFC 9113
   * §6.5.2 recommends. A peer that allows fewer gets the excess queued by its codec until streams
   * end, never refused.
   */
  static final long ASSUMED_MAX_STREAMS = 100;

  /**
   * The peer sent SETTINGS, with its {@code SETTINGS_MAX_CONCURRENT_STREAMS} or -1 when the frame
   * leaves it unchanged; a user event on the connection.
   */
  public record PeerSettings(long maxConcurrentStreams) {}

  /** The peer sent GOAWAY: no new stream on this connection; a user event on the connection. */
  public enum GoAway {
    RECEIVED
  }

  private final EndpointPool pool;
  private Channel channel;

  /** Completes once the transport is up and the peer's first SETTINGS arrived. */
  private ChannelPromise ready;

  private boolean settingsReceived;
  private ScheduledFuture<?> prefaceTimer;
  private long maxStreams = ASSUMED_MAX_STREAMS;

  /** Streams reserved: open, being opened, or waiting for the connection to be ready. */
  private int streams;

  /** Streams let through once the connection was ready: open or being opened. */
  private int admitted;

  private boolean draining;

  MultiplexedConnection(EndpointPool pool) {
    this.pool = pool;
  }

  /** The connection's channel. */
  public Channel channel() {
    return channel;
  }

  /** Streams open or being opened on this connection. */
  public int streams() {
    return streams;
  }

  /** True when a new stream may be opened here now. */
  boolean hasRoom() {
    return !draining && streams < maxStreams && (ready == null || !ready.isDone() || isUsable());
  }

  private boolean isUsable() {
    return ready.isSuccess() && channel.isActive();
  }

  /**
   * Set by the pool once. {@code transport} completes when the connection (and TLS, if any) is
   * established; {@code promise} becomes ready once the peer's SETTINGS arrived too, and fails with
   * a {@link ConnectTimeoutException} (the connection closed) when they do not arrive within {@code
   * prefaceTimeoutMillis} of that.
   */
  void connecting(ChannelFuture transport, ChannelPromise promise, long prefaceTimeoutMillis) {
    ready = promise;
    transport.addListener(
        f -> {
          if (!f.isSuccess()) {
            promise.tryFailure(f.cause());
          } else if (settingsReceived) {
            promise.trySuccess();
          } else if (!promise.isDone()) {
            prefaceTimer =
                channel
                    .eventLoop()
                    .schedule(
                        () -> noPreface(prefaceTimeoutMillis),
                        prefaceTimeoutMillis,
                        TimeUnit.MILLISECONDS);
          }
        });
  }

  private void noPreface(long timeoutMillis) {
    prefaceTimer = null;
    if (ready.tryFailure(
        new ConnectTimeoutException(
            "no HTTP/2 SETTINGS from " + pool.address() + " within " + timeoutMillis + " ms"))) {
      log.debug("[{}] {} {} sent no SETTINGS: closed", channel.id(), pool.role(), pool.address());
      draining = true;
      channel.close();
    }
  }

  /**
   * Reserves a stream now and opens it once the connection is ready; {@code result} gets the
   * stream's {@link PooledConnection}, or the reason it could not be opened. A stream that finds
   * the connection full under the peer's limit, or going away, once it is ready is handed back to
   * the pool to be opened elsewhere, once ({@code again} is true the second time).
   */
  void openStream(Multiplexing multiplexing, Promise<PooledConnection> result, boolean again) {
    streams++;
    if (ready.isDone()) {
      admit(multiplexing, result, again); // the usual case: no listener to make
    } else {
      ready.addListener(f -> admit(multiplexing, result, again));
    }
  }

  /** Opens the reserved stream on the connection, which is ready (or failed to be). */
  private void admit(Multiplexing multiplexing, Promise<PooledConnection> result, boolean again) {
    if (!ready.isSuccess()) {
      unreserve();
      result.tryFailure(ready.cause());
      return;
    }
    boolean going = !channel.isActive() || draining;
    if (going || admitted >= maxStreams) {
      unreserve();
      if (!again) {
        pool.openStream(result, true);
      } else if (going) {
        result.tryFailure(new ClosedChannelException());
      } else {
        result.tryFailure(new EndpointPool.PoolExhaustedException(pool.address()));
      }
      return;
    }
    admitted++;
    PooledConnection stream = new PooledConnection(pool, this);
    PooledConnection.Stream carrier = multiplexing.openStream(channel, stream);
    if (carrier == null) {
      admitted--;
      unreserve();
      result.tryFailure(new ClosedChannelException());
      return;
    }
    stream.opened(carrier);
    result.trySuccess(stream);
  }

  /** A stream of this connection closed. */
  void streamClosed() {
    admitted--;
    unreserve();
  }

  private void unreserve() {
    streams--;
    if (streams == 0 && draining) {
      channel.close();
    }
  }

  /** No new stream here: close now if none is open, else once the last one ends. */
  void drain() {
    draining = true;
    if (streams == 0 && channel != null) {
      channel.close();
    }
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    pool.onOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    draining = true;
    cancelPrefaceTimer();
    if (ready != null) {
      ready.tryFailure(new ClosedChannelException());
    }
    pool.onClosed(this);
  }

  private void cancelPrefaceTimer() {
    if (prefaceTimer != null) {
      prefaceTimer.cancel(false);
      prefaceTimer = null;
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // Connection-level frames the adapter did not turn into events: nothing to do with them here.
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof PeerSettings settings) {
      if (settings.maxConcurrentStreams() >= 0) {
        maxStreams = settings.maxConcurrentStreams();
      }
      if (!settingsReceived) {
        settingsReceived = true;
        cancelPrefaceTimer();
        if (ready != null && channel.isActive()) {
          ready.trySuccess();
        }
      }
    } else if (evt == GoAway.RECEIVED) {
      log.debug("[{}] {} {} sent GOAWAY", ctx.channel().id(), pool.role(), pool.address());
      drain();
    } else if (evt instanceof IdleStateEvent) {
      if (streams == 0) {
        ctx.close();
      }
    } else {
      ReferenceCountUtil.release(evt);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug(
        "[{}] {} {} connection error: {}",
        ctx.channel().id(),
        pool.role(),
        pool.address(),
        cause.toString());
    ctx.close();
  }
}
