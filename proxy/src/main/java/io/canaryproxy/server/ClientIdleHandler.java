package io.canaryproxy.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code timeouts.clientIdle} on a client connection: fires an all-idle {@link IdleStateEvent} (as
 * Netty's {@code IdleStateHandler(0, 0, t)} did) when nothing was read from the client and nothing
 * written to it for the timeout; the adapters close the connection then if no exchange is in
 * progress. A write counts when it is made rather than when the socket took it, so writes keep the
 * promise they came with: Netty's handler turned every void promise into a real one with a listener
 * (an object per write, several per response). A client that stops taking a response is bounded by
 * the forwarder's stall timer instead, which does not depend on this handler. One timer per
 * connection, re-armed from the last activity.
 */
final class ClientIdleHandler extends ChannelDuplexHandler {
  private final long idleNanos;
  private final Runnable check = this::check;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timer;
  private long lastActivityNanos;
  private boolean reading;
  private boolean firstEvent = true;

  /** Set when the handler is removed or the channel closes: no more timers. */
  private boolean destroyed;

  /**
   * @param idleMillis how long a connection may go without a read or a write, in milliseconds; 0 or
   *     less: never
   */
  ClientIdleHandler(long idleMillis) {
    this.idleNanos = idleMillis <= 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(idleMillis);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    if (ctx.channel().isActive() && ctx.channel().isRegistered()) {
      start();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    stop();
  }

  @Override
  public void channelRegistered(ChannelHandlerContext ctx) throws Exception {
    if (ctx.channel().isActive()) {
      start();
    }
    super.channelRegistered(ctx);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    start();
    super.channelActive(ctx);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    stop();
    super.channelInactive(ctx);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    reading = true;
    firstEvent = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (reading) {
      lastActivityNanos = now();
      reading = false;
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    lastActivityNanos = now();
    firstEvent = true;
    ctx.write(msg, promise);
  }

  private void start() {
    if (timer != null || destroyed || idleNanos == 0) {
      return;
    }
    lastActivityNanos = now();
    timer = ctx.executor().schedule(check, idleNanos, TimeUnit.NANOSECONDS);
  }

  private void stop() {
    destroyed = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void check() {
    timer = null;
    if (destroyed || !ctx.channel().isOpen()) {
      return;
    }
    long delay = idleNanos;
    if (!reading) {
      delay -= now() - lastActivityNanos;
    }
    if (delay > 0) {
      timer = ctx.executor().schedule(check, delay, TimeUnit.NANOSECONDS);
      return;
    }
    timer = ctx.executor().schedule(check, idleNanos, TimeUnit.NANOSECONDS);
    boolean first = firstEvent;
    firstEvent = false;
    ctx.fireUserEventTriggered(
        first ? IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT : IdleStateEvent.ALL_IDLE_STATE_EVENT);
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
