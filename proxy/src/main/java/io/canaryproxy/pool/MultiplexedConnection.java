package io.canaryproxy.pool;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.nio.channels.ClosedChannelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of an HTTP/2 backend connection's pipeline, and the pool's view of it: how many
 * streams it carries, how many its peer allows ({@code SETTINGS_MAX_CONCURRENT_STREAMS}, RFC 9113
 * §6.5.2), and whether it still takes new streams. A GOAWAY, or the endpoint leaving the
 * configuration, stops new streams while the ones in flight finish; the connection closes once it
 * carries none. Each stream is a {@link PooledConnection} of its own. Event-loop only.
 */
public final class MultiplexedConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(MultiplexedConnection.class);

  /**
   * Streams assumed allowed until the peer's first SETTINGS says otherwise: the minimum RFC 9113
   * §6.5.2 recommends. A peer that allows fewer gets the excess queued by its codec until streams
   * end, never refused.
   */
  static final long ASSUMED_MAX_STREAMS = 100;

  /** The peer's {@code SETTINGS_MAX_CONCURRENT_STREAMS}; a user event on the connection. */
  public record StreamLimit(long maxConcurrentStreams) {}

  /** The peer sent GOAWAY: no new stream on this connection; a user event on the connection. */
  public enum GoAway {
    RECEIVED
  }

  private final EndpointPool pool;
  private Channel channel;
  private ChannelFuture ready;
  private long maxStreams = ASSUMED_MAX_STREAMS;
  private int streams;
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

  /** Set by the pool once: completes when the connection (and TLS, if any) is established. */
  void connecting(ChannelFuture future) {
    ready = future;
  }

  /**
   * Reserves a stream now and opens it once the connection is ready; {@code result} gets the
   * stream's {@link PooledConnection}, or the reason it could not be opened.
   */
  void openStream(Multiplexing multiplexing, Promise<PooledConnection> result) {
    streams++;
    ready.addListener(
        f -> {
          if (!f.isSuccess()) {
            streams--;
            result.tryFailure(f.cause());
            return;
          }
          if (!channel.isActive() || draining) {
            streams--;
            result.tryFailure(new ClosedChannelException());
            return;
          }
          PooledConnection stream = new PooledConnection(pool, this);
          multiplexing
              .openStream(channel, stream)
              .addListener(
                  s -> {
                    if (s.isSuccess()) {
                      result.trySuccess(stream);
                    } else {
                      if (!stream.wasActive()) {
                        streams--;
                      }
                      result.tryFailure(s.cause());
                    }
                  });
        });
  }

  /** A stream of this connection closed. */
  void streamClosed() {
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
    pool.onClosed(this);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    // Connection-level frames the adapter did not turn into events: nothing to do with them here.
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof StreamLimit limit) {
      maxStreams = limit.maxConcurrentStreams();
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
