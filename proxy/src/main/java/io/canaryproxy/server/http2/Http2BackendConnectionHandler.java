package io.canaryproxy.server.http2;

import io.canaryproxy.pool.MultiplexedConnection;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2SettingsFrame;
import io.netty.util.ReferenceCountUtil;

/**
 * The connection-level frames of an HTTP/2 backend connection, told to the pool as events it can
 * read without codec types: the peer's {@code SETTINGS_MAX_CONCURRENT_STREAMS} as a {@link
 * MultiplexedConnection.StreamLimit}, a GOAWAY as {@link MultiplexedConnection.GoAway}. It also
 * opens the connection's receive window to {@code connectionWindowBytes} at the start, so that one
 * stream whose client reads slowly does not stall the others on the same connection.
 */
final class Http2BackendConnectionHandler extends ChannelInboundHandlerAdapter {
  private final int connectionWindowBytes;

  Http2BackendConnectionHandler(int connectionWindowBytes) {
    this.connectionWindowBytes = connectionWindowBytes;
  }

  private boolean windowOpened;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
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
      if (max != null) {
        ctx.fireUserEventTriggered(new MultiplexedConnection.StreamLimit(max));
      }
    } else if (msg instanceof Http2GoAwayFrame) {
      ctx.fireUserEventTriggered(MultiplexedConnection.GoAway.RECEIVED);
    }
    ReferenceCountUtil.release(msg);
  }
}
