package io.canaryproxy.server;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bounds what comes before the first request on a connection, the PROXY protocol header and the TLS
 * handshake, by {@code timeouts.requestHeader}: a client that connects and stalls there is closed
 * (nothing can be answered before TLS is up) rather than holding a connection until {@code
 * timeouts.clientIdle}. Removes itself once the setup is done.
 */
final class SetupTimeoutHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(SetupTimeoutHandler.class);

  private final long timeoutNanos;
  private final boolean waitForTls;
  private ScheduledFuture<?> timer;

  /**
   * @param timeoutNanos how long the setup may take, in nanoseconds (&gt; 0)
   * @param waitForTls the setup ends with a TLS handshake; else with the PROXY header
   */
  SetupTimeoutHandler(long timeoutNanos, boolean waitForTls) {
    this.timeoutNanos = timeoutNanos;
    this.waitForTls = waitForTls;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (ctx.channel().isActive()) {
      schedule(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    schedule(ctx);
    ctx.fireChannelActive();
  }

  private void schedule(ChannelHandlerContext ctx) {
    if (timer == null) {
      timer =
          ctx.executor()
              .schedule(
                  () -> {
                    log.debug(
                        "[{}] connection setup (PROXY header, TLS) timed out", ctx.channel().id());
                    ctx.close();
                  },
                  timeoutNanos,
                  TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    boolean done =
        waitForTls
            ? evt instanceof SslHandshakeCompletionEvent e && e.isSuccess()
            : evt == ProxyProtocolHandler.RECEIVED;
    if (done) {
      ctx.pipeline().remove(this);
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (timer != null) {
      timer.cancel(false);
    }
    ctx.fireChannelInactive();
  }
}
