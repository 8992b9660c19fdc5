package io.canaryproxy.bench.load;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * Adapts one client channel's HTTP events to its {@link ClientConnection}. Response bodies are not
 * aggregated: chunks are released as they arrive and the response completes at {@link
 * LastHttpContent}.
 */
final class ClientHandler extends SimpleChannelInboundHandler<HttpObject> {
  static final String VARIANT_HEADER = "x-canary-variant";

  private final ClientConnection connection;
  private int status;
  private String variant;
  private boolean keepAlive;

  ClientHandler(ClientConnection connection) {
    this.connection = connection;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
    if (msg.decoderResult().isFailure()) {
      connection.failed(ctx.channel(), ErrorType.READ);
      return;
    }
    if (msg instanceof HttpResponse response) {
      status = response.status().code();
      variant = response.headers().get(VARIANT_HEADER);
      keepAlive = HttpUtil.isKeepAlive(response);
    }
    if (msg instanceof LastHttpContent) {
      connection.completed(ctx.channel(), status, variant, keepAlive);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    connection.closed(ctx.channel());
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    connection.failed(ctx.channel(), ErrorType.READ);
  }
}
