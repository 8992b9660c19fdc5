package io.canaryproxy.server.http2;

import io.canaryproxy.pool.MultiplexedConnection;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2PingFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2PingFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level frames of an HTTP/2 backend connection, told to the pool as events it can
 * read without codec types: each SETTINGS (the first is the peer's connection preface, which the
 * pool waits for) with its {@code SETTINGS_MAX_CONCURRENT_STREAMS} as a {@link
 * MultiplexedConnection.PeerSettings}, a GOAWAY as {@link MultiplexedConnection.GoAway}. It also
 * opens the connection's receive window to {@code connectionWindowBytes} at the start, so that one
 * stream whose client reads slowly does not stall the others on the same connection; keeps the
 * protocol error for which the codec ends the connection (a CONTINUATION flood, a header list far
 * past the limit, ...), so that its streams fail as a bad response rather than a lost connection;
 * and, when a stream was given up before its end, checks with a PING that the backend still answers
 * ({@link #checkAlive}).
 */
final class Http2BackendConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Http2BackendConnectionHandler.class);

  /** The opaque data of the proxy's liveness PING ("canary"). */
  private static final long PING_DATA = 0x63616e617279L;

  private final int connectionWindowBytes;
  private final long pingTimeoutMillis;

  private ChannelHandlerContext ctx;
  private boolean windowOpened;
  private Http2Exception protocolError;
  private ScheduledFuture<?> pingTimer;

  /**
   * @param connectionWindowBytes the connection's receive window, in bytes
   * @param pingTimeoutMillis how long the backend may take to answer a liveness PING, in ms (&gt;
   *     0)
   */
  Http2BackendConnectionHandler(int connectionWindowBytes, long pingTimeoutMillis) {
    this.connectionWindowBytes = connectionWindowBytes;
    this.pingTimeoutMillis = pingTimeoutMillis;
  }

  /**
   * The connection error the codec found in what the backend sent, for which it ends the connection
   * (GOAWAY, then close); {@code null} when there was none.
   */
  Http2Exception protocolError() {
    return protocolError;
  }

  /**
   * A stream was given up before its response ended (a response timeout, a client gone): sends a
   * PING unless one is out, and closes the connection when its answer does not come within the PING
   * timeout, so that a backend that stopped answering altogether (a dead peer, a half-open
   * connection) is not given the next streams too. A backend that is only slow on one stream
   * answers the PING and keeps its connection.
   */
  void checkAlive() {
    if (pingTimer != null || ctx == null || !ctx.channel().isActive()) {
      return;
    }
    ctx.writeAndFlush(new DefaultHttp2PingFrame(PING_DATA), ctx.voidPromise());
    pingTimer =
        ctx.executor().schedule(this::noPingAnswer, pingTimeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void noPingAnswer() {
    pingTimer = null;
    log.debug(
        "[{}] h2 backend did not answer a PING within {} ms: closed",
        ctx.channel().id(),
        pingTimeoutMillis);
    ctx.close();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    // Over TLS the handler is added after the handshake, to a channel already active.
    if (ctx.channel().isActive()) {
      openWindow(ctx);
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    openWindow(ctx);
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (pingTimer != null) {
      pingTimer.cancel(false);
      pingTimer = null;
    }
    ctx.fireChannelInactive();
  }

  private void openWindow(ChannelHandlerContext ctx) {
    if (windowOpened) {
      return;
    }
    windowOpened = true;
    int increment = connectionWindowBytes - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    if (increment > 0) {
      ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(increment), ctx.voidPromise());
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof Http2SettingsFrame settings) {
      Long max = settings.settings().maxConcurrentStreams();
      ctx.fireUserEventTriggered(new MultiplexedConnection.PeerSettings(max == null ? -1 : max));
    } else if (msg instanceof Http2GoAwayFrame) {
      ctx.fireUserEventTriggered(MultiplexedConnection.GoAway.RECEIVED);
    } else if (msg instanceof Http2PingFrame ping
        && ping.ack()
        && ping.content() == PING_DATA
        && pingTimer != null) {
      pingTimer.cancel(false);
      pingTimer = null;
    }
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Http2Exception error = connectionError(cause);
    if (error != null) {
      // The codec shows a connection error in what the backend sent here (wrapped by its decoder)
      // before it answers it itself (GOAWAY with the error code, then close): closing first would
      // send no GOAWAY.
      protocolError = error;
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  private static Http2Exception connectionError(Throwable cause) {
    for (Throwable t = cause; t != null; t = t.getCause()) {
      if (t instanceof Http2Exception e) {
        return e instanceof Http2Exception.StreamException ? null : e;
      }
    }
    return null;
  }
}
