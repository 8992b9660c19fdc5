package io.canaryproxy.server.http2;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2ConnectionHandler;

/**
 * At most one flush of an HTTP/2 connection handler per event-loop turn for the flushes its streams
 * ask for: each stream's response end (on a backend connection, each request) asked for one, and
 * each ran the flow controller over the connection's streams and passed a flush down the pipeline,
 * hundreds per read burst under load. A flush asked for runs as a task of the event loop (after the
 * current reads, before the loop waits again), unless the handler flushed meanwhile (at the end of
 * the connection's own read burst). Event-loop only.
 */
final class Http2FlushOnce implements Runnable {
  private final Http2ConnectionHandler handler;
  private ChannelHandlerContext ctx;
  private boolean scheduled;
  private boolean wanted;

  Http2FlushOnce(Http2ConnectionHandler handler) {
    this.handler = handler;
  }

  void context(ChannelHandlerContext ctx) {
    this.ctx = ctx;
  }

  /** Asks for a flush in this event-loop turn. */
  void request() {
    wanted = true;
    if (!scheduled) {
      scheduled = true;
      ctx.executor().execute(this);
    }
  }

  /** The handler flushes now: what was asked for is done. */
  void flushed() {
    wanted = false;
  }

  @Override
  public void run() {
    scheduled = false;
    if (wanted && ctx.channel().isActive()) {
      handler.flush(ctx);
    }
  }
}
