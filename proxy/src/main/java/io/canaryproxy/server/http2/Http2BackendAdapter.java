package io.canaryproxy.server.http2;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.pool.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.util.ReferenceCountUtil;

/**
 * The HTTP/2 adapter of one backend stream, between the stream channel and the pool: what the
 * exchange writes ({@link RequestHead}, body {@code ByteBuf}s, {@link BodyEnd}) becomes HEADERS and
 * DATA frames (trailers as a last HEADERS), and what the backend answers becomes the exchange model
 * ({@code ResponseHead}, body pieces, one {@code BodyEnd} per message, or a {@link
 * MalformedMessage}: a head without a valid {@code :status}, or anything the codec refused on the
 * stream). A stream the backend refused unprocessed is marked so on its {@link PooledConnection},
 * so that the request may go to another connection (RFC 9113 §8.7).
 */
final class Http2BackendAdapter extends ChannelDuplexHandler {
  private final boolean tls;

  /** The connection's events handler, or {@code null} outside a backend connection. */
  private final Http2BackendConnectionHandler connection;

  /** The request head went out with END_STREAM: the BodyEnd that follows has nothing to send. */
  private boolean requestEnded;

  private boolean finalHead;
  private boolean responseEnded;
  private boolean anyResponse;

  /**
   * @param tls true on a TLS connection ({@code :scheme https})
   * @param connection the handler of the stream's connection (looked up when the stream opens: a
   *     closed connection's pipeline no longer has it), or {@code null}
   */
  Http2BackendAdapter(boolean tls, Http2BackendConnectionHandler connection) {
    this.tls = tls;
    this.connection = connection;
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof RequestHead head) {
      // A request known to have no body ends with its HEADERS: one frame for a GET.
      requestEnded = head.bodyLength() == 0;
      ctx.write(
          new DefaultHttp2HeadersFrame(Http2BackendHeads.request(head, tls), requestEnded),
          promise);
    } else if (msg instanceof ByteBuf data) {
      if (requestEnded) {
        data.release();
        promise.setSuccess();
      } else {
        ctx.write(new DefaultHttp2DataFrame(data, false), promise);
      }
    } else if (msg instanceof BodyEnd end) {
      if (requestEnded) {
        promise.setSuccess();
      } else if (end.trailers() != null) {
        requestEnded = true;
        ctx.write(
            new DefaultHttp2HeadersFrame(Http2Responses.trailers(end.trailers()), true), promise);
      } else {
        requestEnded = true;
        ctx.write(new DefaultHttp2DataFrame(Unpooled.EMPTY_BUFFER, true), promise);
      }
    } else {
      ctx.write(msg, promise);
    }
  }

  /**
   * Asks for more of the stream and flushes what the stream channel wrote for it. Netty's stream
   * channel gives the bytes already read back to the peer (a WINDOW_UPDATE) when asked to read, but
   * flushes that only when no read of its own is in progress: when the exchange stopped reading
   * (its client was slow) in the middle of one, the update stayed unflushed, the backend waited for
   * window and the exchange ended in {@code response_timeout} (a 64 KiB gRPC message through a
   * client with a 64 KiB window did that). Flushing a stream with nothing written sends nothing.
   */
  @Override
  public void read(ChannelHandlerContext ctx) {
    ctx.read();
    ctx.flush();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (responseEnded) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof Http2HeadersFrame headers) {
      anyResponse = true;
      onHeaders(ctx, headers);
    } else if (msg instanceof Http2DataFrame data) {
      anyResponse = true;
      onData(ctx, data);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  private void onHeaders(ChannelHandlerContext ctx, Http2HeadersFrame frame) {
    if (finalHead) {
      // Trailers (RFC 9113 §8.1): a HEADERS after the final head, which ends the stream.
      responseEnded = true;
      ctx.fireChannelRead(BodyEnd.of(Http2BackendHeads.trailers(frame.headers())));
      return;
    }
    ResponseHead head = Http2BackendHeads.response(frame.headers());
    if (head == null) {
      responseEnded = true;
      ctx.fireChannelRead(
          new MalformedMessage(
              new IllegalStateException("backend HEADERS without a valid :status")));
      return;
    }
    ctx.fireChannelRead(head);
    if (head.status() < 200) {
      ctx.fireChannelRead(BodyEnd.NONE); // an interim response has its own (empty) end
      return;
    }
    finalHead = true;
    if (frame.isEndStream()) {
      responseEnded = true;
      ctx.fireChannelRead(BodyEnd.NONE);
    }
  }

  private void onData(ChannelHandlerContext ctx, Http2DataFrame frame) {
    if (!finalHead) {
      frame.release();
      responseEnded = true;
      ctx.fireChannelRead(
          new MalformedMessage(new IllegalStateException("backend DATA before a response head")));
      return;
    }
    ByteBuf content = frame.content();
    if (content.isReadable()) {
      ctx.fireChannelRead(content);
    } else {
      content.release();
    }
    if (frame.isEndStream()) {
      responseEnded = true;
      ctx.fireChannelRead(BodyEnd.NONE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof Http2ResetFrame reset
        && reset.errorCode() == Http2Error.REFUSED_STREAM.code()
        && !anyResponse) {
      refused(ctx);
    } else if (evt instanceof Http2GoAwayFrame && !anyResponse) {
      // Fired on the streams the GOAWAY's last stream id leaves out: never processed.
      refused(ctx);
    }
    ReferenceCountUtil.release(evt);
  }

  /**
   * The exchange gives the stream up: before its response ended, that may be a backend that stopped
   * answering altogether, which its connection's PING check finds out.
   */
  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (!responseEnded && connection != null && ctx.channel().isActive()) {
      connection.checkAlive();
    }
    ctx.close(promise);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (!anyResponse && !responseEnded && aboveGoAway(ctx)) {
      refused(ctx);
    } else if (!responseEnded) {
      Http2Exception error = connection == null ? null : connection.protocolError();
      if (error != null) {
        // The backend broke the protocol and the codec ended the connection: a bad response for
        // every stream it still carried, rather than a lost connection.
        responseEnded = true;
        ctx.fireChannelRead(new MalformedMessage(error));
      }
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A stream held back under the peer's stream limit and then dropped by its GOAWAY never left.
    if (!anyResponse && cause instanceof StreamBufferingEncoder.Http2GoAwayException) {
      refused(ctx);
    }
    if (!responseEnded && isInvalidResponse(cause)) {
      // The codec refused what the backend sent on this stream and reset it: a response head with
      // a connection-specific or malformed field, a header list past the limit, a body longer or
      // shorter than its content-length. That is a bad response, not a lost connection; whatever
      // of it was forwarded is cut off by the exchange.
      responseEnded = true;
      anyResponse = true;
      ctx.fireChannelRead(new MalformedMessage(cause));
      return;
    }
    ctx.fireExceptionCaught(cause);
  }

  /**
   * True for the stream errors the codec raises on what the backend sent (RFC 9113 §8.1.1, §8.2): a
   * {@code PROTOCOL_ERROR} on this stream. Errors of the proxy's own writes fail their promise
   * instead and do not come here as stream errors.
   */
  private static boolean isInvalidResponse(Throwable cause) {
    return cause instanceof Http2Exception.StreamException e
        && e.error() == Http2Error.PROTOCOL_ERROR;
  }

  /**
   * True when the connection got a GOAWAY whose last stream id is below this stream's, or before
   * this stream got an id: the peer did not process it (RFC 9113 §6.8).
   */
  private static boolean aboveGoAway(ChannelHandlerContext ctx) {
    if (!(ctx.channel() instanceof Http2StreamChannel stream)) {
      return false;
    }
    Http2FrameCodec codec = stream.parent().pipeline().get(Http2FrameCodec.class);
    if (codec == null) {
      return false;
    }
    Http2Connection connection = codec.connection();
    if (!connection.goAwayReceived()) {
      return false;
    }
    int id = stream.stream().id();
    return id < 0 || id > connection.local().lastStreamKnownByPeer();
  }

  private static void refused(ChannelHandlerContext ctx) {
    PooledConnection c = ctx.pipeline().get(PooledConnection.class);
    if (c != null) {
      c.markRefused();
    }
  }
}
