package io.canaryproxy.server.http2;

import io.canaryproxy.forwarding.ForwardingContext;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection-level part of an HTTP/2 client connection, behind the frame codec and the stream
 * multiplexer: counts the connection once (its streams' forwarders do not), widens the connection's
 * flow-control window to {@link Http2Limits#connectionWindowBytes} (so that one stalled stream does
 * not stall the others), counts each GOAWAY the codec sends for an abuse ({@link Http2Abuse}), and
 * closes the connection when it is idle with no stream open.
 */
public final class Http2ClientConnectionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(Http2ClientConnectionHandler.class);

  private final ForwardingContext fc;
  private final Http2Limits limits;
  private boolean counted;

  public Http2ClientConnectionHandler(ForwardingContext fc, Http2Limits limits) {
    this.fc = fc;
    this.limits = limits;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
    codec
        .connection()
        .addListener(
            new Http2ConnectionAdapter() {
              @Override
              public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
                Http2Abuse type =
                    Http2Abuse.classify(errorCode, debugData.toString(StandardCharsets.UTF_8));
                if (type != null) {
                  log.debug(
                      "[{}] h2 GOAWAY {}: {}",
                      ctx.channel().id(),
                      type.tag(),
                      debugData.toString(StandardCharsets.UTF_8));
                  fc.http2GoAway(type.tag());
                }
              }
            });
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    counted = true;
    fc.clientConnection(1);
    int increment = limits.connectionWindowBytes() - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    if (increment > 0) {
      ctx.writeAndFlush(new DefaultHttp2WindowUpdateFrame(increment), ctx.voidPromise());
    }
    ctx.fireChannelActive();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (counted) {
      counted = false;
      fc.clientConnection(-1);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      Http2FrameCodec codec = ctx.pipeline().get(Http2FrameCodec.class);
      if (codec == null || codec.connection().numActiveStreams() == 0) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] h2 client connection error: {}", ctx.channel().id(), cause.toString());
    if (cause instanceof Http2Exception) {
      // The frame codec shows its protocol errors here before it answers them itself (GOAWAY with
      // the error code, then close); closing first would send a GOAWAY without error instead.
      return;
    }
    ctx.close();
  }
}
