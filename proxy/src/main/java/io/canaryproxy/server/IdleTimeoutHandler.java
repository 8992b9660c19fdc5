package io.canaryproxy.server;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * An idle timeout without a clock read per request. On a client connection, {@code
 * timeouts.clientIdle}: reads and writes count, and the event is an all-idle {@link IdleStateEvent}
 * (as Netty's {@code IdleStateHandler(0, 0, t)} fired), on which the adapters close the connection
 * if no exchange is in progress. On a backend connection, {@code timeouts.backendIdle}: reads count
 * (an HTTP/1.1 connection goes back to the pool only once its response was read, so its last read
 * is its last activity), and the event is a reader-idle one, on which a pooled HTTP/1.1 connection
 * that nobody leases closes, and an HTTP/2 one that carries no stream.
 *
 * <p>Activity only sets a flag. A timer that runs {@value #CHECKS_PER_TIMEOUT} times per timeout
 * reads the clock, notes when it last found the flag set, and fires once that is a whole timeout
 * ago; then again after each further timeout without activity. So the event comes between the
 * timeout and an eighth more after the last activity (60 s: 60 to 67.5 s), never earlier. Netty's
 * handler (and this one before) read the clock on every read burst and every write, about three
 * reads per proxied request. A write counts when it is made rather than when the socket took it, so
 * writes keep the promise they came with: a client that stops taking a response is bounded by the
 * forwarder's stall timer instead, which does not depend on this handler.
 */
final class IdleTimeoutHandler extends ChannelDuplexHandler {
  /** How often per timeout the timer looks: the event is at most this fraction late. */
  static final int CHECKS_PER_TIMEOUT = 8;

  private final long idleNanos;
  private final long checkNanos;
  private final boolean writesCount;
  private final IdleStateEvent firstEvent;
  private final IdleStateEvent laterEvent;
  private final Runnable check = this::check;
  private ChannelHandlerContext ctx;
  private ScheduledFuture<?> timer;

  /** Something was read (or written, when writes count) since the timer last looked. */
  private boolean active;

  /** When the timer last found activity, or the connection started, or the last event fired. */
  private long quietSinceNanos;

  private boolean first = true;

  /** Set when the handler is removed or the channel closes: no more timers. */
  private boolean destroyed;

  private IdleTimeoutHandler(long idleMillis, boolean writesCount) {
    this.idleNanos = idleMillis <= 0 ? 0 : TimeUnit.MILLISECONDS.toNanos(idleMillis);
    this.checkNanos = (idleNanos + CHECKS_PER_TIMEOUT - 1) / CHECKS_PER_TIMEOUT;
    this.writesCount = writesCount;
    this.firstEvent =
        writesCount
            ? IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT
            : IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT;
    this.laterEvent =
        writesCount ? IdleStateEvent.ALL_IDLE_STATE_EVENT : IdleStateEvent.READER_IDLE_STATE_EVENT;
  }

  /**
   * {@code timeouts.clientIdle}: all-idle events after {@code idleMillis} without a read or a
   * write, in milliseconds; 0 or less: never.
   */
  static IdleTimeoutHandler client(long idleMillis) {
    return new IdleTimeoutHandler(idleMillis, true);
  }

  /**
   * {@code timeouts.backendIdle}: reader-idle events after {@code idleMillis} without a read, in
   * milliseconds; 0 or less: never.
   */
  static IdleTimeoutHandler backend(long idleMillis) {
    return new IdleTimeoutHandler(idleMillis, false);
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
    active = true;
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (writesCount) {
      active = true;
    }
    ctx.write(msg, promise);
  }

  private void start() {
    if (timer != null || destroyed || idleNanos == 0) {
      return;
    }
    quietSinceNanos = now();
    // One periodic task for the connection's life: no new task object per check.
    timer = ctx.executor().scheduleAtFixedRate(check, checkNanos, checkNanos, TimeUnit.NANOSECONDS);
  }

  private void stop() {
    destroyed = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  private void check() {
    if (destroyed || !ctx.channel().isOpen()) {
      stop();
      return;
    }
    long now = now();
    if (active) {
      // The activity happened since the last check: counting from now is never early, and at most
      // one check interval late.
      active = false;
      first = true;
      quietSinceNanos = now;
      return;
    }
    if (now - quietSinceNanos < idleNanos) {
      return;
    }
    quietSinceNanos = now;
    IdleStateEvent event = first ? firstEvent : laterEvent;
    first = false;
    ctx.fireUserEventTriggered(event);
  }

  private long now() {
    return ctx.executor().ticker().nanoTime();
  }
}
