package io.canaryproxy.server;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.server.http1.RejectedRequest;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.TooLongHttpHeaderException;
import io.netty.handler.codec.http.TooLongHttpLineException;
import io.netty.util.ReferenceCountUtil;
import java.util.Iterator;

/**
 * Lets only well-formed requests within the limits reach the forwarder. Anything else is replaced
 * by a {@link RejectedRequest}, after which nothing more from this connection is passed on. Netty's
 * decoder already rejects bad framing (Content-Length with Transfer-Encoding, duplicate or invalid
 * Content-Length, a final coding other than chunked, whitespace before the colon); this handler
 * turns its decode failures into statuses and adds the checks that the decoder does not make.
 */
final class RequestGuardHandler extends ChannelInboundHandlerAdapter {
  private final LimitsConfig limits;
  private long bodyBytes;
  private boolean rejected;

  RequestGuardHandler(LimitsConfig limits) {
    this.limits = limits;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (rejected) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof HttpRequest request) {
      RejectedRequest problem = check(request);
      if (problem != null) {
        ReferenceCountUtil.release(msg);
        reject(ctx, problem);
        return;
      }
      bodyBytes = 0;
    }
    if (msg instanceof HttpContent content) {
      DecoderResult result = content.decoderResult();
      if (!result.isSuccess()) {
        content.release();
        reject(
            ctx,
            new RejectedRequest(
                HttpResponseStatus.BAD_REQUEST, "invalid request body: " + message(result)));
        return;
      }
      bodyBytes += content.content().readableBytes();
      if (bodyBytes > limits.maxBodyBytes()) {
        content.release();
        reject(
            ctx,
            new RejectedRequest(
                HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over the limit"));
        return;
      }
    }
    ctx.fireChannelRead(msg);
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt == ProxyRequestDecoder.RequestHeaderTimeout.INSTANCE) {
      if (!rejected) {
        reject(
            ctx,
            new RejectedRequest(
                HttpResponseStatus.REQUEST_TIMEOUT, "request head not received in time"));
      }
      return;
    }
    if (evt == ProxyRequestDecoder.RequestBodyTimeout.INSTANCE) {
      if (!rejected) {
        reject(
            ctx,
            new RejectedRequest(
                HttpResponseStatus.REQUEST_TIMEOUT, "request body not received in time"));
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void reject(ChannelHandlerContext ctx, RejectedRequest problem) {
    rejected = true;
    ctx.channel().config().setAutoRead(false);
    ctx.fireChannelRead(problem);
  }

  private RejectedRequest check(HttpRequest request) {
    DecoderResult result = request.decoderResult();
    if (!result.isSuccess()) {
      Throwable cause = result.cause();
      if (cause instanceof TooLongHttpLineException) {
        return new RejectedRequest(
            HttpResponseStatus.REQUEST_URI_TOO_LONG, "request line over the limit");
      }
      if (cause instanceof TooLongHttpHeaderException) {
        return new RejectedRequest(
            HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "header section over the limit");
      }
      if (cause instanceof TooLongFrameException) {
        return new RejectedRequest(HttpResponseStatus.BAD_REQUEST, "request too large");
      }
      return new RejectedRequest(
          HttpResponseStatus.BAD_REQUEST, "invalid request: " + message(result));
    }
    HttpVersion version = request.protocolVersion();
    if (version.majorVersion() != 1 || version.minorVersion() > 1) {
      return new RejectedRequest(
          HttpResponseStatus.HTTP_VERSION_NOT_SUPPORTED, "only HTTP/1.0 and HTTP/1.1");
    }
    HttpHeaders headers = request.headers();
    if (headers.size() > limits.maxHeaders()) {
      return new RejectedRequest(
          HttpResponseStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "too many header fields");
    }
    if (HttpMethod.CONNECT.equals(request.method())) {
      // A tunnel cannot be framed as a request and response, and a backend that answers 200 would
      // turn a pooled connection into a pass-through.
      return new RejectedRequest(HttpResponseStatus.NOT_IMPLEMENTED, "CONNECT is not supported");
    }
    int hosts = count(headers, HttpHeaderNames.HOST);
    if (hosts > 1 || (hosts == 0 && version.minorVersion() == 1)) {
      // RFC 9112 §3.2: an HTTP/1.1 request without Host, or any request with more than one, gets
      // 400.
      return new RejectedRequest(
          HttpResponseStatus.BAD_REQUEST, "exactly one Host header is required");
    }
    if (hosts == 1 && !RequestLines.isValidHost(headers.get(HttpHeaderNames.HOST))) {
      return new RejectedRequest(HttpResponseStatus.BAD_REQUEST, "invalid Host header");
    }
    RejectedRequest framing = checkFraming(headers, version);
    if (framing != null) {
      return framing;
    }
    if (HttpUtil.getContentLength(request, -1L) > limits.maxBodyBytes()) {
      return new RejectedRequest(
          HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, "request body over the limit");
    }
    String expect = headers.get(HttpHeaderNames.EXPECT);
    if (expect != null && !HttpHeaderValues.CONTINUE.contentEqualsIgnoreCase(expect)) {
      return new RejectedRequest(HttpResponseStatus.EXPECTATION_FAILED, "unsupported expectation");
    }
    return null;
  }

  /**
   * The body framing checks that the decoder does not make: no Transfer-Encoding in HTTP/1.0 (RFC
   * 9112 §6.1: faulty framing), and no transfer coding but {@code chunked} (RFC 9112 §6.1: 501, as
   * nginx answers). Several Content-Length fields already failed in the decoder ({@code
   * LengthFields}), in every version.
   */
  private static RejectedRequest checkFraming(HttpHeaders headers, HttpVersion version) {
    if (!headers.contains(HttpHeaderNames.TRANSFER_ENCODING)) {
      return null; // the usual case, answered without an iterator
    }
    int codings = count(headers, HttpHeaderNames.TRANSFER_ENCODING);
    if (version.minorVersion() == 0) {
      return new RejectedRequest(
          HttpResponseStatus.BAD_REQUEST, "Transfer-Encoding in an HTTP/1.0 request");
    }
    if (codings > 1
        || !HttpHeaderValues.CHUNKED.contentEqualsIgnoreCase(
            headers.get(HttpHeaderNames.TRANSFER_ENCODING).trim())) {
      return new RejectedRequest(
          HttpResponseStatus.NOT_IMPLEMENTED, "transfer codings other than chunked");
    }
    return null;
  }

  /** 0, 1, or 2 meaning "more than one"; without building the list that getAll would. */
  private static int count(HttpHeaders headers, CharSequence name) {
    Iterator<? extends CharSequence> values = headers.valueCharSequenceIterator(name);
    int n = 0;
    while (n < 2 && values.hasNext()) {
      values.next();
      n++;
    }
    return n;
  }

  private static String message(DecoderResult result) {
    Throwable cause = result.cause();
    return cause == null ? "decode failure" : String.valueOf(cause.getMessage());
  }
}
