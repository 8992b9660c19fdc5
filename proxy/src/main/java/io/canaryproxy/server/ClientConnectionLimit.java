package io.canaryproxy.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code limits.maxClientConnections} on the listening channel: it sees each accepted connection
 * before any handler is set up for it. Past the limit the new connection is closed at once,
 * unregistered (the client sees its connect succeed and then an immediate close), and counted; the
 * connections already open go on being served. Envoy's listener connection limit does the same
 * (accept, close, count in {@code downstream_cx_overflow}); not accepting at all would leave the
 * clients waiting in the kernel's backlog until they time out, with nothing to tell them why.
 */
@ChannelHandler.Sharable
final class ClientConnectionLimit extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ClientConnectionLimit.class);
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;

  private final int max;
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong rejected = new AtomicLong();
  private final ChannelFutureListener closed = f -> open.decrementAndGet();
  private volatile long lastLog = System.nanoTime() - LOG_EVERY_NANOS;

  /**
   * @param max connections open at once, at least 1
   */
  ClientConnectionLimit(int max) {
    if (max < 1) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 1)");
    }
    this.max = max;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof Channel child)) {
      ctx.fireChannelRead(msg);
      return;
    }
    if (open.incrementAndGet() > max) {
      open.decrementAndGet();
      rejected.incrementAndGet();
      // not registered with an event loop yet, so no pipeline to run: close the socket directly
      child.unsafe().closeForcibly();
      logRejection();
      return;
    }
    child.closeFuture().addListener(closed);
    ctx.fireChannelRead(child);
  }

  private void logRejection() {
    long now = System.nanoTime();
    long last = lastLog;
    if (now - last >= LOG_EVERY_NANOS) {
      lastLog = now;
      log.warn(
          "limits.maxClientConnections: {} connections open, new ones are closed at once"
              + " ({} so far)",
          max,
          rejected.get());
    }
  }

  /** Client connections open now, as this limit counts them. */
  int open() {
    return open.get();
  }

  /** Connections closed at once because {@code max} were open, since start. */
  long rejected() {
    return rejected.get();
  }
}
