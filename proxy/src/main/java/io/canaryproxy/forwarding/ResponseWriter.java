package io.canaryproxy.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;

/**
 * Writes one exchange's response to the client: re-frames the backend's response head for the
 * client connection (hop-by-hop fields, keep-alive, chunking when the length is unknown), streams
 * the body, and writes the proxy's own error answers. Owned by one {@link ProxyFrontendHandler}, to
 * which it reports a malformed backend response.
 */
final class ResponseWriter {
  /** Response header naming the variant, added when {@code routing.exposeVariantHeader} is true. */
  static final AsciiString VARIANT_HEADER = AsciiString.cached("x-canary-variant");

  /** Response header naming the failure type on the proxy's own error answers. */
  static final AsciiString ERROR_HEADER = AsciiString.cached("x-canary-proxy-error");

  private final ProxyFrontendHandler owner;
  private final ForwardingContext fc;
  private ChannelHandlerContext ctx;
  private ProxyResponseEncoder encoder;
  private boolean clientKeepAlive;
  private boolean clientHttp11;
  private boolean headRequest;
  private boolean exposeVariant;
  private boolean responseStarted;
  private boolean backendKeepAlive;
  private boolean closeAfter;
  private boolean skipInterimLast;

  ResponseWriter(ProxyFrontendHandler owner, ForwardingContext fc) {
    this.owner = owner;
    this.fc = fc;
  }

  void init(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.encoder = ctx.pipeline().get(ProxyResponseEncoder.class);
  }

  /**
   * Takes the framing of the next response from its {@code request}: keep-alive, HTTP version,
   * HEAD; {@code exposeVariant} adds the variant header.
   */
  void begin(HttpRequest request, boolean exposeVariant) {
    clientKeepAlive = HttpUtil.isKeepAlive(request);
    clientHttp11 = request.protocolVersion().minorVersion() == 1;
    headRequest = HttpMethod.HEAD.equals(request.method());
    this.exposeVariant = exposeVariant;
  }

  /** True when the client asked to keep its connection open after this exchange. */
  boolean clientKeepAlive() {
    return clientKeepAlive;
  }

  boolean responseStarted() {
    return responseStarted;
  }

  boolean backendKeepAlive() {
    return backendKeepAlive;
  }

  boolean closeAfterResponse() {
    return closeAfter;
  }

  void reset() {
    responseStarted = false;
    backendKeepAlive = false;
    closeAfter = false;
    skipInterimLast = false;
  }

  /**
   * Writes a response object from the backend, which arrived at {@code nowNanos}; takes ownership.
   * Returns true when it was the last piece. A malformed one is released and reported to the owner
   * as {@link UpstreamFailure#BAD_RESPONSE}.
   */
  boolean onBackendMessage(Object msg, Exchange ex, MirrorTap tap, long nowNanos) {
    if (msg instanceof HttpResponse response) {
      if (!response.decoderResult().isSuccess()) {
        ReferenceCountUtil.release(msg);
        owner.upstreamFailed(UpstreamFailure.BAD_RESPONSE, response.decoderResult().cause());
        return false;
      }
      boolean keepAlive = clientKeepAlive && !fc.draining();
      if (!onResponseHead(response, ex, tap, keepAlive, nowNanos)) {
        return false; // an interim 1xx response, dropped
      }
    }
    if (msg instanceof HttpContent content) {
      if (!content.decoderResult().isSuccess()) {
        content.release();
        owner.upstreamFailed(UpstreamFailure.BAD_RESPONSE, content.decoderResult().cause());
        return false;
      }
      return onResponseContent(content, ex, tap);
    }
    return false;
  }

  /**
   * Writes the response head; {@code nowNanos} is when it arrived. Returns false when it was an
   * interim (1xx) response, which does not end the exchange: {@code 100} is dropped (the proxy
   * answers {@code Expect: 100-continue} itself), others such as {@code 103 Early Hints} are
   * forwarded to an HTTP/1.1 client (RFC 9110 §15.2) and dropped for an HTTP/1.0 one, and {@code
   * 101}, which the proxy never asks for, fails the exchange as a bad response.
   */
  private boolean onResponseHead(
      HttpResponse response, Exchange ex, MirrorTap tap, boolean keepAliveAllowed, long nowNanos) {
    int code = response.status().code();
    if (code < 200) {
      skipInterimLast = true;
      if (code == 101) {
        ReferenceCountUtil.release(response);
        owner.upstreamFailed(
            UpstreamFailure.BAD_RESPONSE, new IllegalStateException("unrequested 101 response"));
      } else if (code != 100 && clientHttp11) {
        writeInterim(response);
      } else {
        ReferenceCountUtil.release(response);
      }
      return false;
    }
    responseStarted = true;
    ex.upstreamHeadersNanos = nowNanos;
    ex.status = code;
    backendKeepAlive = HttpUtil.isKeepAlive(response);
    HttpHeaders headers = response.headers();
    HopByHop.strip(headers);
    String revisionHeader = fc.revisionHeader();
    if (revisionHeader != null) {
      ex.revision = headers.get(revisionHeader);
    }
    boolean close = !keepAliveAllowed;
    boolean bodyless = headRequest || code == 204 || code == 304;
    if (!bodyless
        && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
        && !HttpUtil.isTransferEncodingChunked(response)) {
      // The backend delimits this body by closing; the client needs chunks, or a close of its own.
      if (clientHttp11) {
        headers.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
      } else {
        close = true;
      }
    }
    if (close) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (!clientHttp11) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    closeAfter = close;
    if (exposeVariant) {
      headers.set(VARIANT_HEADER, ex.route.variant.label());
    }
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
    if (tap != null) {
      tap.onResponse(response);
    }
    encoder.nextResponseAnswersHead(headRequest);
    ctx.write(response, ctx.voidPromise());
    return true;
  }

  /** Writes a piece of the response body; returns true when it was the last one. */
  private boolean onResponseContent(HttpContent content, Exchange ex, MirrorTap tap) {
    boolean last = content instanceof LastHttpContent;
    if (skipInterimLast) {
      content.release();
      if (last) {
        skipInterimLast = false;
      }
      return false;
    }
    ex.bytesOut += content.content().readableBytes();
    if (tap != null) {
      tap.onResponseContent(content, last);
    }
    if (last) {
      ctx.writeAndFlush(content, ctx.voidPromise());
    } else {
      ctx.write(content, ctx.voidPromise());
    }
    return last;
  }

  /** Forwards an interim response, complete in itself, with its hop-by-hop fields removed. */
  private void writeInterim(HttpResponse response) {
    HopByHop.strip(response.headers());
    FullHttpResponse interim =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            response.status(),
            Unpooled.EMPTY_BUFFER,
            response.headers(),
            EmptyHttpHeaders.INSTANCE);
    ReferenceCountUtil.release(response);
    encoder.nextResponseAnswersHead(false);
    ctx.writeAndFlush(interim, ctx.voidPromise());
  }

  /** Answers {@code 100 Continue}. */
  void writeContinue() {
    encoder.nextResponseAnswersHead(false);
    ctx.writeAndFlush(
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
  }

  /** Writes one of the proxy's own answers, with a short text body. */
  void writeError(HttpResponseStatus status, String reason, String failureTag, boolean close) {
    ByteBuf body = ctx.alloc().buffer();
    body.writeCharSequence(
        status.code() + " " + status.reasonPhrase() + ": " + reason + "\n", StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
    HttpHeaders headers = response.headers();
    headers.set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
    headers.setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (failureTag != null) {
      headers.set(ERROR_HEADER, failureTag);
    }
    if (close) {
      headers.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    }
    encoder.nextResponseAnswersHead(false);
    ctx.writeAndFlush(response);
  }
}
