package io.canaryproxy.server.http2;

import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.grpc.GrpcMessage;
import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.AsciiString;
import java.nio.charset.StandardCharsets;

/**
 * Writes one stream's response through the connection's encoder, with as few frame writes as the
 * response allows: the head waits for the first body piece, the end or the next flush, and the last
 * body piece waits for the next piece, the end or the next flush, so that the end rides on the last
 * piece's DATA frame instead of a write of its own (an empty DATA with END_STREAM, which Netty's
 * flow controller would merge into the piece before it anyway, after building and queueing it).
 * Nothing waits past {@link #flush}: the stream calls it at the end of every backend read burst.
 * Event-loop only.
 */
final class Http2ResponseFrames {
  private static final AsciiString TEXT_PLAIN = AsciiString.cached("text/plain; charset=utf-8");

  private final Http2ClientConnectionHandler conn;
  private Http2Stream stream;

  /** The response head, written with the first body piece, the end, or the next flush. */
  private Http2Headers pendingHead;

  /** The last body piece, written with END_STREAM at the end, or without at the next flush. */
  private ByteBuf pendingBody;

  Http2ResponseFrames(Http2ClientConnectionHandler conn) {
    this.conn = conn;
  }

  /** Writes the response of {@code s} from now on (the stream's state is reused). */
  void start(Http2Stream s) {
    stream = s;
  }

  /** An interim (1xx) head, sent at once. */
  void interim(Http2Headers head) {
    conn.writeHeaders(stream, head, false);
    conn.flushClient();
  }

  void head(Http2Headers head) {
    pendingHead = head;
  }

  /** A body piece; takes ownership. */
  void body(ByteBuf piece) {
    writePendingHead();
    if (!piece.isReadable()) {
      piece.release();
      return;
    }
    writePendingBody();
    pendingBody = piece;
  }

  /** The end of the response, with its {@code trailers} or {@code null}; flushed. */
  void end(Headers trailers) {
    if (pendingHead != null && trailers == null) {
      // A response without a body (HEAD, 204, 304, or empty): one HEADERS frame ends the stream.
      Http2Headers head = pendingHead;
      pendingHead = null;
      conn.writeHeaders(stream, head, true);
      conn.flushClient();
      return;
    }
    writePendingHead();
    if (trailers != null) {
      writePendingBody();
      conn.writeHeaders(stream, Http2Responses.trailers(trailers), true);
    } else {
      ByteBuf last = pendingBody == null ? Unpooled.EMPTY_BUFFER : pendingBody;
      pendingBody = null;
      conn.writeData(stream, last, true);
    }
    conn.flushClient();
  }

  /** Writes what waits and flushes the stream. */
  void flush() {
    writePendingHead();
    writePendingBody();
    conn.flushClient();
  }

  /** Drops what waits (the response is cut off or the stream closed). */
  void discard() {
    pendingHead = null;
    if (pendingBody != null) {
      pendingBody.release();
      pendingBody = null;
    }
  }

  /** The proxy's own answer: {@code status} with a text body naming {@code reason}. */
  void error(int status, String reason, String failureTag) {
    ByteBuf body = conn.context().alloc().buffer();
    body.writeCharSequence(status + " " + reason + "\n", StandardCharsets.UTF_8);
    Http2Headers headers =
        new DefaultHttp2Headers()
            .status(HttpResponseStatus.valueOf(status).codeAsText())
            .set(HeaderNames.CONTENT_TYPE, TEXT_PLAIN)
            .setInt(HeaderNames.CONTENT_LENGTH, body.readableBytes());
    if (failureTag != null) {
      headers.set(Http2Responses.ERROR_HEADER, failureTag);
    }
    conn.writeHeaders(stream, headers, false);
    conn.writeData(stream, body, true);
    conn.flushClient();
  }

  /**
   * Answers a gRPC call the proxy refused as gRPC does: trailers-only, {@code :status} 200 with
   * {@code grpc-status} and a percent-encoded {@code grpc-message}.
   */
  void grpcError(GrpcStatus status, String reason) {
    Http2Headers headers =
        new DefaultHttp2Headers()
            .status(HttpResponseStatus.OK.codeAsText())
            .set(HeaderNames.CONTENT_TYPE, GrpcCalls.CONTENT_TYPE)
            .set(GrpcCalls.STATUS, Integer.toString(status.code()))
            .set(GrpcCalls.MESSAGE, GrpcMessage.encode("canary-proxy: " + reason));
    conn.writeHeaders(stream, headers, true);
    conn.flushClient();
  }

  /** Resets the stream with {@code error}, unless it is already closed. */
  void reset(Http2Error error) {
    conn.reset(stream, error);
  }

  private void writePendingHead() {
    if (pendingHead != null) {
      Http2Headers head = pendingHead;
      pendingHead = null;
      conn.writeHeaders(stream, head, false);
    }
  }

  private void writePendingBody() {
    if (pendingBody != null) {
      ByteBuf piece = pendingBody;
      pendingBody = null;
      conn.writeData(stream, piece, false);
    }
  }
}
