package io.canaryproxy.pool;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a pooled connection's pipeline, and the pooled object itself. While leased it
 * hands every event to its {@link ConnectionListener}; while idle in its {@link EndpointPool} it
 * closes on unexpected input or idleness. On an HTTP/2 backend it is one stream of a {@link
 * MultiplexedConnection} instead: used for one exchange, then closed. Event-loop only.
 */
public final class PooledConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PooledConnection.class);

  private final EndpointPool pool;

  /** The connection this stream belongs to, or {@code null} for an HTTP/1.1 connection. */
  private final MultiplexedConnection parent;

  private Channel channel;
  private ConnectionListener owner;
  private BufferedInput input;
  private boolean reused;
  private boolean refused;
  private boolean active;

  PooledConnection(EndpointPool pool) {
    this(pool, null);
  }

  PooledConnection(EndpointPool pool, MultiplexedConnection parent) {
    this.pool = pool;
    this.parent = parent;
  }

  /**
   * True when the peer refused this HTTP/2 stream before processing it (RST_STREAM with
   * REFUSED_STREAM, or a GOAWAY whose last stream id is lower, RFC 9113 §8.7): the request may be
   * sent again on another connection.
   */
  public boolean refused() {
    return refused;
  }

  /** Marks this stream as refused by the peer (see {@link #refused()}); set by the adapter. */
  public void markRefused() {
    refused = true;
  }

  boolean wasActive() {
    return active;
  }

  public Channel channel() {
    return channel;
  }

  /** True when this connection already served an earlier request. */
  public boolean reused() {
    return reused;
  }

  /** Hands the connection's events to {@code listener} until it is released or discarded. */
  public void lease(ConnectionListener listener) {
    owner = listener;
  }

  /**
   * Returns the connection to its pool after a complete exchange, ready for the next request;
   * closes it instead when its decoder holds bytes no response accounted for (a backend that wrote
   * past its framing), which must never reach the next user.
   */
  public void release() {
    if (parent != null) {
      // A stream carries one exchange: once both ends are done, closing it sends nothing.
      owner = null;
      channel.close();
      return;
    }
    if (input != null && input.hasBufferedInput()) {
      log.debug(
          "[{}] {} {} sent bytes past its response; not reused",
          channel.id(),
          pool.role(),
          pool.address());
      discard();
      return;
    }
    owner = null;
    reused = true;
    channel.config().setAutoRead(true);
    pool.offer(this);
  }

  /** Closes the connection: the exchange on it cannot be completed or continued. */
  public void discard() {
    owner = null;
    channel.close();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    active = true;
    if (parent == null) {
      pool.onOpened();
    }
    ctx.fireChannelActive();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    for (Map.Entry<String, ChannelHandler> e : ctx.pipeline()) {
      if (e.getValue() instanceof BufferedInput b) {
        input = b;
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onRead(msg);
    } else {
      // An idle connection must not speak; whatever it says belongs to no request.
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onReadComplete();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (parent == null) {
      pool.onClosed(this);
    } else if (active) {
      active = false;
      parent.streamClosed();
    }
    ConnectionListener o = owner;
    owner = null;
    if (o != null) {
      o.onClosed();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onWritabilityChanged();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && owner == null) {
      ctx.close();
      return;
    }
    ReferenceCountUtil.release(evt);
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
