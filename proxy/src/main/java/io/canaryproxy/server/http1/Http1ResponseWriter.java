package io.canaryproxy.server.http1;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Writes one client connection's responses as HTTP/1.1: frames each response head for this client
 * (keep-alive, chunking when the length is unknown, HEAD), and writes the proxy's own answers
 * ({@code 100 Continue}, errors). Responses on a connection are written one at a time, in request
 * order. Owned by one {@link Http1ServerHandler}.
 */
final class Http1ResponseWriter {
  /** Response header naming the failure type on the proxy's own error answers. */
  static final AsciiString ERROR_HEADER = AsciiString.cached("x-canary-proxy-error");

  private final ChannelHandlerContext ctx;
  private final ProxyResponseEncoder encoder;
  private final BackendHead backendHead = new BackendHead();
  private final BackendHead.Whole whole = new BackendHead.Whole();
  private final LastPiece lastPiece = new LastPiece();

  /**
   * A backend head framed but not written yet: written with the body's end (one message for a whole
   * response), before the next piece, or at the next flush. Valid until then: the backend
   * connection reads its next head only after this response's end.
   */
  private Http1BackendResponse heldHead;

  private boolean heldChunked;

  /**
   * The last body piece, written with the next piece, the end or the next flush: a body's final
   * piece then goes out with its end (and a held head) as one message.
   */
  private ByteBuf heldPiece;

  /** Something was written or held since the last flush. */
  private boolean unflushed;

  private boolean clientKeepAlive;
  private boolean clientHttp11;
  private boolean headRequest;
  private boolean closeAfter;

  /** The client sent {@code TE: trailers}: it takes trailer fields in a chunked response. */
  private boolean clientTakesTrailers;

  Http1ResponseWriter(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.encoder = ctx.pipeline().get(ProxyResponseEncoder.class);
  }

  /**
   * Takes the framing of the next response from its request: keep-alive, version, HEAD, and whether
   * the client accepts trailers ({@code TE: trailers}).
   */
  void begin(boolean keepAlive, boolean http11, boolean head, boolean takesTrailers) {
    clientKeepAlive = keepAlive;
    clientHttp11 = http11;
    headRequest = head;
    clientTakesTrailers = takesTrailers && http11; // trailers need chunked framing: HTTP/1.1
  }

  /** True when the client asked to keep its connection open after this exchange. */
  boolean clientKeepAlive() {
    return clientKeepAlive;
  }

  /** True when the response written (or the error answered) closes the connection. */
  boolean closeAfterResponse() {
    return closeAfter;
  }

  void reset() {
    closeAfter = false;
  }

  /**
   * Writes a final response head, framed for this client: a body the backend delimits by closing is
   * chunked for an HTTP/1.1 client, or ends with a close for an HTTP/1.0 one; {@code draining}
   * closes the connection after the response.
   */
  void writeHead(ResponseHead head, boolean draining) {
    if (head instanceof Http1BackendResponse backend) {
      writeBackendHead(backend, draining);
      return;
    }
    HttpResponse response = toNetty(head);
    HttpHeaders headers = response.headers();
    int code = response.status().code();
    boolean close = !clientKeepAlive || draining;
    boolean bodyless = headRequest || code == 204 || code == 304;
    if (!clientHttp11 && onlyChunked(headers)) {
      headers.remove(HttpHeaderNames.TRANSFER_ENCODING); // none to HTTP/1.0: as writeBackendHead
      close = true;
    }
    if (!bodyless
        && !headers.contains(HttpHeaderNames.CONTENT_LENGTH)
        && !HttpUtil.isTransferEncodingChunked(response)) {
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
    response.setProtocolVersion(HttpVersion.HTTP_1_1);
    encoder.nextResponseAnswersHead(headRequest);
    ctx.write(response, ctx.voidPromise());
    unflushed = true;
  }

  /** True when {@code headers} have a Transfer-Encoding and every value is exactly chunked. */
  private static boolean onlyChunked(HttpHeaders headers) {
    List<String> codings = headers.getAll(HttpHeaderNames.TRANSFER_ENCODING);
    for (String coding : codings) {
      if (!coding.trim().equalsIgnoreCase("chunked")) {
        return false;
      }
    }
    return !codings.isEmpty();
  }

  /**
   * As {@link #writeHead}, for a backend's HTTP/1.1 head kept as its bytes: the same edits, made on
   * the head, which is then written from its bytes, held until the body's end, its next piece or
   * the next flush (whichever comes first).
   */
  private void writeBackendHead(Http1BackendResponse head, boolean draining) {
    int code = head.status();
    boolean close = !clientKeepAlive || draining;
    boolean bodyless = headRequest || code == 204 || code == 304;
    boolean chunked = head.lists(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    if (chunked && !clientHttp11 && head.codingIsOnlyChunked()) {
      // No Transfer-Encoding to an HTTP/1.0 client (RFC 9112 §6.1): it would take the chunk sizes
      // for body bytes. The body goes as decoded, delimited by the close, as nginx does. Other
      // codings before chunked (gzip, chunked) cannot be undone here: that framing stays.
      head.dropChunkedCoding();
      chunked = false;
      close = true;
    }
    if (!bodyless && !chunked && !head.contains(HttpHeaderNames.CONTENT_LENGTH)) {
      if (clientHttp11) {
        head.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
        chunked = true;
      } else {
        close = true;
      }
    }
    if (close) {
      head.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
    } else if (!clientHttp11) {
      head.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
    }
    closeAfter = close;
    encoder.nextResponseAnswersHead(headRequest);
    heldHead = head;
    heldChunked = chunked;
    unflushed = true;
  }

  /**
   * A piece of the response body; takes it over. It is held until the next piece, the end or the
   * next flush; a held head stays held with it.
   */
  void writeBody(ByteBuf piece) {
    if (heldPiece != null) {
      writeHeld();
    }
    heldPiece = piece;
    unflushed = true;
  }

  /** Flushes what was written or held, if anything was since the last flush. */
  void flush() {
    if (unflushed) {
      writeHeld();
      unflushed = false;
      ctx.flush();
    }
  }

  /** The response is cut off: what is held is never written. */
  void discard() {
    heldHead = null;
    if (heldPiece != null) {
      heldPiece.release();
      heldPiece = null;
    }
  }

  private void writeHeld() {
    if (heldHead != null) {
      ctx.write(backendHead.of(heldHead, heldChunked), ctx.voidPromise());
      backendHead.clear();
      heldHead = null;
    }
    if (heldPiece != null) {
      ByteBuf piece = heldPiece;
      heldPiece = null;
      ctx.write(piece, ctx.voidPromise());
    }
  }

  /**
   * Writes and flushes a {@code 101 Switching Protocols} head (it has no body: RFC 9110 §15.2.2),
   * after which the encoder passes the tunnel's bytes on unencoded.
   */
  void writeSwitch(ResponseHead head) {
    HttpResponse h = toNetty(head);
    HttpHeaders headers = h.headers();
    headers.remove(HttpHeaderNames.CONTENT_LENGTH);
    headers.remove(HttpHeaderNames.TRANSFER_ENCODING);
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            h.status(),
            Unpooled.EMPTY_BUFFER,
            headers,
            EmptyHttpHeaders.INSTANCE);
    encoder.nextResponseAnswersHead(true);
    ctx.write(response, ctx.voidPromise());
    encoder.passThrough();
    ctx.flush();
  }

  /**
   * Ends the response body with its trailers, after what is held (a head, the final piece), and
   * flushes. Trailers are sent (when chunked) only to a client that sent {@code TE: trailers} (RFC
   * 9110 §6.5.1, §10.1.4); to any other they are dropped, as an HTTP/2 backend's (a gRPC server's
   * {@code grpc-status}) would surprise it.
   */
  void writeEnd(BodyEnd end) {
    ByteBuf piece = heldPiece;
    heldPiece = null;
    unflushed = false;
    LastHttpContent last;
    if (end.trailers() != null && clientTakesTrailers) {
      writeHeld();
      last =
          new DefaultLastHttpContent(
              piece == null ? Unpooled.EMPTY_BUFFER : piece, NettyHeaders.toNetty(end.trailers()));
    } else if (heldHead != null) {
      // A whole response (the common one: a head and a body that came in one read): one message.
      Http1BackendResponse head = heldHead;
      heldHead = null;
      if (encoder.writesWhole(head.status(), heldChunked)) {
        encoder.writeWhole(head, piece == null ? Unpooled.EMPTY_BUFFER : piece);
        ctx.flush();
        return;
      }
      ctx.writeAndFlush(
          whole.of(head, heldChunked, piece == null ? Unpooled.EMPTY_BUFFER : piece),
          ctx.voidPromise());
      whole.clear();
      return;
    } else if (piece != null) {
      // The common end, a last piece and no trailers: one reused message (the encoder is done with
      // it, and has released the piece, when the write returns).
      ctx.writeAndFlush(lastPiece.of(piece), ctx.voidPromise());
      lastPiece.clear();
      return;
    } else {
      last = LastHttpContent.EMPTY_LAST_CONTENT;
    }
    ctx.writeAndFlush(last, ctx.voidPromise());
  }

  /**
   * Forwards an interim response, complete in itself, to an HTTP/1.1 client (an HTTP/1.0 one cannot
   * read it: dropped).
   */
  void writeInterim(ResponseHead head) {
    if (!clientHttp11) {
      return;
    }
    FullHttpResponse interim =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            HttpResponseStatus.valueOf(head.status(), head.reason()),
            Unpooled.EMPTY_BUFFER,
            NettyHeaders.toNetty(head.headers()),
            EmptyHttpHeaders.INSTANCE);
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
    closeAfter = close;
    encoder.nextResponseAnswersHead(false);
    ctx.writeAndFlush(response);
  }

  /** The Netty response behind {@code head}, or a new one holding the same fields. */
  private static HttpResponse toNetty(ResponseHead head) {
    if (head instanceof Http1Response h) {
      return h.unwrap();
    }
    return new DefaultHttpResponse(
        HttpVersion.HTTP_1_1,
        HttpResponseStatus.valueOf(head.status(), head.reason()),
        NettyHeaders.toNetty(head.headers()));
  }
}
