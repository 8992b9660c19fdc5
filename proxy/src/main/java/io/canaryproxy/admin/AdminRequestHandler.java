package io.canaryproxy.admin;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns an aggregated admin request into an {@link AdminRequest}, dispatches it through {@link
 * AdminRoutes} and writes the answer. A request that failed to decode gets 400 and the connection
 * is closed.
 */
final class AdminRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final Logger log = LoggerFactory.getLogger(AdminRequestHandler.class);

  private final AdminRoutes routes;

  AdminRequestHandler(AdminRoutes routes) {
    this.routes = routes;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    if (request.decoderResult().isFailure()) {
      write(ctx, AdminResponse.error(400, "malformed request"), false, false);
      return;
    }
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    boolean head = HttpMethod.HEAD.equals(request.method());
    AdminResponse response;
    try {
      QueryStringDecoder uri = new QueryStringDecoder(request.uri());
      AdminRequest adminRequest =
          new AdminRequest(
              request.method(),
              uri.path(),
              uri.parameters(),
              request.headers(),
              ByteBufUtil.getBytes(request.content()));
      response = routes.dispatch(adminRequest);
    } catch (IllegalArgumentException e) {
      // QueryStringDecoder rejects malformed escapes such as "%zz".
      write(ctx, AdminResponse.error(400, "malformed request: " + e.getMessage()), false, false);
      return;
    } catch (Exception e) {
      log.warn("[{}] admin {} {} failed", ctx.channel().id(), request.method(), request.uri(), e);
      response = AdminResponse.error(500, "internal error");
    }
    write(ctx, response, keepAlive, head);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] admin connection failed", ctx.channel().id(), cause);
    ctx.close();
  }

  private static void write(
      ChannelHandlerContext ctx, AdminResponse r, boolean keepAlive, boolean head) {
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(r.status()),
            head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(r.body()));
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
    response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_STORE);
    for (Map.Entry<String, String> h : r.headers().entrySet()) {
      response.headers().set(h.getKey(), h.getValue());
    }
    if (!keepAlive) {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    var future = ctx.writeAndFlush(response);
    if (!keepAlive) {
      future.addListener(ChannelFutureListener.CLOSE);
    }
  }
}
