package io.canaryproxy.server.http2;

import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DecoratingHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2LifecycleManager;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Limits on the frames a peer can make the proxy send, around the encoder of an HTTP/2 connection
 * (Netty's builder adds its own only to an encoder it made itself, see {@link Http2Codec}). Each
 * ends the connection with GOAWAY ENHANCE_YOUR_CALM:
 *
 * <ul>
 *   <li>more than {@code maxQueuedControlFrames} answers to the peer (SETTINGS and PING
 *       acknowledgements, RST_STREAM) written and not yet taken by the socket, after a flush: a
 *       peer that sends control frames and reads nothing ({@link Http2Abuse#CONTROL_FRAME_FLOOD});
 *   <li>more than {@code maxResets} RST_STREAM frames sent for an error (CANCEL and NO_ERROR do not
 *       count) within {@code resetWindowSeconds} ({@link Http2Abuse#RAPID_RESET}).
 * </ul>
 *
 * Event-loop only.
 */
final class Http2OutboundLimits extends DecoratingHttp2ConnectionEncoder {
  private static final Logger log = LoggerFactory.getLogger(Http2OutboundLimits.class);

  private final int maxQueuedControlFrames;
  private final int maxResets;
  private final int resetWindowSeconds;
  private final long resetWindowNanos;
  private final LongSupplier nanoTime;
  private Http2LifecycleManager lifecycle;
  private int queuedControlFrames;
  private final ChannelFutureListener controlFrameLeft = f -> queuedControlFrames--;
  private boolean flooded;
  private long resetWindowStart;
  private int resetsInWindow;

  /**
   * @param maxQueuedControlFrames answers queued at most; 0: no limit
   * @param maxResets RST_STREAM frames sent for errors per window at most; 0: no limit
   * @param resetWindowSeconds the window's length, in seconds (> 0)
   * @param nanoTime the clock of the window, in nanoseconds ({@code System::nanoTime})
   */
  Http2OutboundLimits(
      Http2ConnectionEncoder delegate,
      int maxQueuedControlFrames,
      int maxResets,
      int resetWindowSeconds,
      LongSupplier nanoTime) {
    super(delegate);
    this.maxQueuedControlFrames = maxQueuedControlFrames;
    this.maxResets = maxResets;
    this.resetWindowSeconds = resetWindowSeconds;
    this.resetWindowNanos = TimeUnit.SECONDS.toNanos(resetWindowSeconds);
    this.nanoTime = nanoTime;
    this.resetWindowStart = nanoTime.getAsLong();
  }

  @Override
  public void lifecycleManager(Http2LifecycleManager lifecycleManager) {
    this.lifecycle = lifecycleManager;
    super.lifecycleManager(lifecycleManager);
  }

  @Override
  public ChannelFuture writeSettingsAck(ChannelHandlerContext ctx, ChannelPromise promise) {
    return super.writeSettingsAck(ctx, queued(ctx, promise));
  }

  @Override
  public ChannelFuture writePing(
      ChannelHandlerContext ctx, boolean ack, long data, ChannelPromise promise) {
    // a PING of the proxy's own (a liveness check) answers nothing
    return super.writePing(ctx, ack, data, ack ? queued(ctx, promise) : promise);
  }

  @Override
  public ChannelFuture writeRstStream(
      ChannelHandlerContext ctx, int streamId, long errorCode, ChannelPromise promise) {
    ChannelFuture f = super.writeRstStream(ctx, streamId, errorCode, queued(ctx, promise));
    if (maxResets > 0
        && errorCode != Http2Error.CANCEL.code()
        && errorCode != Http2Error.NO_ERROR.code()) {
      countReset(ctx);
    }
    return f;
  }

  /** {@code promise}, counted among the queued answers until its write completes. */
  private ChannelPromise queued(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (maxQueuedControlFrames == 0 || flooded) {
      return promise;
    }
    if (queuedControlFrames >= maxQueuedControlFrames) {
      ctx.flush(); // what the socket takes now no longer counts
      if (queuedControlFrames >= maxQueuedControlFrames) {
        flooded = true;
        end(
            ctx,
            Http2Exception.connectionError(
                Http2Error.ENHANCE_YOUR_CALM,
                "%d control frames queued unwritten: the peer does not read them",
                maxQueuedControlFrames));
      }
    }
    queuedControlFrames++;
    return promise.unvoid().addListener(controlFrameLeft);
  }

  private void countReset(ChannelHandlerContext ctx) {
    long now = nanoTime.getAsLong();
    if (now - resetWindowStart >= resetWindowNanos) {
      resetWindowStart = now;
      resetsInWindow = 1;
    } else if (++resetsInWindow > maxResets) {
      end(
          ctx,
          Http2Exception.connectionError(
              Http2Error.ENHANCE_YOUR_CALM,
              "more than %d RST frames sent within %d seconds",
              maxResets,
              resetWindowSeconds));
    }
  }

  /** GOAWAY with {@code cause} (the connection handler's error path), then the close. */
  private void end(ChannelHandlerContext ctx, Http2Exception cause) {
    log.debug("{} {}: closing the connection", ctx.channel(), cause.getMessage());
    lifecycle.onError(ctx, true, cause);
    ctx.close();
  }
}
