package io.canaryproxy.server.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;

/**
 * What {@link ProxyResponseEncoder} sees of a backend head written from its bytes ({@link
 * Http1BackendResponse}): its status, and {@code Transfer-Encoding: chunked} when the body is
 * chunked; the encoder takes the status line and the fields from the view. One per client
 * connection, reused: the encoder is done with it when {@code write} returns (writes happen on the
 * connection's loop).
 */
class BackendHead extends DefaultHttpResponse {
  private Http1BackendResponse view;

  BackendHead() {
    super(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, new DefaultHttpHeaders(false));
  }

  /** The view whose bytes the encoder writes. */
  final Http1BackendResponse view() {
    return view;
  }

  final void point(Http1BackendResponse head, boolean chunked) {
    view = head;
    if (status().code() != head.status()) {
      setStatus(HttpResponseStatus.valueOf(head.status())); // mostly 200 again: kept
    }
    HttpHeaders h = headers();
    if (!h.isEmpty()) {
      h.clear(); // clearing an empty map still wipes its whole bucket array
    }
    if (chunked) {
      h.set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    }
  }

  BackendHead of(Http1BackendResponse head, boolean chunked) {
    point(head, chunked);
    return this;
  }

  void clear() {
    view = null;
  }

  /**
   * A whole response: the head, its body's last (usually only) piece and its end, without trailers.
   * Written as one message, the encoder puts a small body in the head's buffer: one pipeline trip
   * and one buffer for the client connection instead of two each. Releasing it releases the piece
   * (the encoder does when {@code write} returns); anything that keeps it gets a copy ({@link
   * #copy}, {@link #duplicate} and the like make one).
   */
  static final class Whole extends BackendHead implements FullHttpResponse {
    private ByteBuf piece;

    /** Points this message at {@code head} and {@code piece}, whose reference it takes over. */
    Whole of(Http1BackendResponse head, boolean chunked, ByteBuf piece) {
      point(head, chunked);
      this.piece = piece;
      return this;
    }

    @Override
    void clear() {
      super.clear();
      piece = null;
    }

    @Override
    public ByteBuf content() {
      return piece;
    }

    @Override
    public HttpHeaders trailingHeaders() {
      return EmptyHttpHeaders.INSTANCE;
    }

    @Override
    public FullHttpResponse copy() {
      return replace(piece.copy());
    }

    @Override
    public FullHttpResponse duplicate() {
      return replace(piece.duplicate());
    }

    @Override
    public FullHttpResponse retainedDuplicate() {
      return replace(piece.retainedDuplicate());
    }

    @Override
    public FullHttpResponse replace(ByteBuf content) {
      DefaultFullHttpResponse copy =
          new DefaultFullHttpResponse(protocolVersion(), status(), content);
      copy.headers().set(headers());
      return copy;
    }

    @Override
    public FullHttpResponse setProtocolVersion(HttpVersion version) {
      super.setProtocolVersion(version);
      return this;
    }

    @Override
    public FullHttpResponse setStatus(HttpResponseStatus status) {
      super.setStatus(status);
      return this;
    }

    @Override
    public int refCnt() {
      return piece.refCnt();
    }

    @Override
    public FullHttpResponse retain() {
      piece.retain();
      return this;
    }

    @Override
    public FullHttpResponse retain(int increment) {
      piece.retain(increment);
      return this;
    }

    @Override
    public FullHttpResponse touch() {
      piece.touch();
      return this;
    }

    @Override
    public FullHttpResponse touch(Object hint) {
      piece.touch(hint);
      return this;
    }

    @Override
    public boolean release() {
      return piece.release();
    }

    @Override
    public boolean release(int decrement) {
      return piece.release(decrement);
    }
  }
}
