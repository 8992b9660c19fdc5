package io.canaryproxy.forwarding;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a backend connection's pipeline, and the pooled object itself. While leased
 * it hands every event to its {@link BackendListener}; while idle in the pool it closes on
 * unexpected input or idleness.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);

  private final EndpointPool pool;
  private Channel channel;
  private BackendListener owner;
  private boolean reused;

  BackendConnection(EndpointPool pool) {
    this.pool = pool;
  }

  Channel channel() {
    return channel;
  }

  EndpointPool pool() {
    return pool;
  }

  /** True when this connection already served an earlier request. */
  boolean reused() {
    return reused;
  }

  void lease(BackendListener listener) {
    owner = listener;
  }

  /** Returns the connection to its pool after a complete exchange, ready for the next request. */
  void release() {
    owner = null;
    reused = true;
    channel.config().setAutoRead(true);
    pool.offer(this);
  }

  /** Closes the connection: the exchange on it cannot be completed or continued. */
  void discard() {
    owner = null;
    channel.close();
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    pool.onOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    BackendListener o = owner;
    if (o != null) {
      o.onBackendRead(msg);
    } else {
      // An idle connection must not speak; whatever it says belongs to no request.
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    BackendListener o = owner;
    if (o != null) {
      o.onBackendReadComplete();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    pool.onClosed(this);
    BackendListener o = owner;
    owner = null;
    if (o != null) {
      o.onBackendInactive();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    BackendListener o = owner;
    if (o != null) {
      o.onBackendWritabilityChanged();
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
        "[{}] backend {} connection error: {}",
        ctx.channel().id(),
        pool.address(),
        cause.toString());
    ctx.close();
  }
}
