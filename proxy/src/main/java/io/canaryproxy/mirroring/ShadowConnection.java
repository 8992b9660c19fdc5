package io.canaryproxy.mirroring;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last handler of a shadow connection's pipeline, and the pooled object itself. While leased it
 * hands every event to its {@link ShadowLeg}; while idle in the pool it closes on unexpected input
 * or idleness.
 */
final class ShadowConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ShadowConnection.class);

  private final ShadowPools.Endpoint endpoint;
  private Channel channel;
  private ShadowLeg owner;

  ShadowConnection(ShadowPools.Endpoint endpoint) {
    this.endpoint = endpoint;
  }

  Channel channel() {
    return channel;
  }

  void lease(ShadowLeg leg) {
    owner = leg;
  }

  /** Returns the connection to its pool after a complete exchange. */
  void release() {
    owner = null;
    endpoint.offer(this);
  }

  /** Closes the connection: the exchange on it was abandoned. */
  void discard() {
    owner = null;
    channel.close();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ShadowLeg o = owner;
    if (o != null) {
      o.onShadowRead(msg);
    } else {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    endpoint.onClosed(this);
    ShadowLeg o = owner;
    owner = null;
    if (o != null) {
      o.onShadowClosed();
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
        "[{}] shadow {} connection error: {}",
        ctx.channel().id(),
        endpoint.address(),
        cause.toString());
    ctx.close();
  }
}
