package io.canaryproxy.server.http1;

import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.EmptyHttpHeaders;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * A response body's last piece and its end as one message, without trailers: what {@link
 * Http1ResponseWriter} writes once per response. One per client connection, re-pointed at each
 * piece: the encoder is done with it when {@code write} returns (it encodes on the connection's
 * loop, and releasing the message releases the piece). Anything that keeps it beyond that gets a
 * copy of its own ({@link #duplicate} and the like make one).
 */
final class LastPiece implements LastHttpContent {
  private ByteBuf piece;

  /** Points this message at {@code piece}, whose reference it takes over. */
  LastPiece of(ByteBuf piece) {
    this.piece = piece;
    return this;
  }

  /** Forgets the piece once written. */
  void clear() {
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
  public DecoderResult decoderResult() {
    return DecoderResult.SUCCESS;
  }

  @Override
  @Deprecated
  public DecoderResult getDecoderResult() {
    return DecoderResult.SUCCESS;
  }

  @Override
  public void setDecoderResult(DecoderResult result) {
    throw new UnsupportedOperationException();
  }

  @Override
  public LastHttpContent copy() {
    return replace(piece.copy());
  }

  @Override
  public LastHttpContent duplicate() {
    return replace(piece.duplicate());
  }

  @Override
  public LastHttpContent retainedDuplicate() {
    return replace(piece.retainedDuplicate());
  }

  @Override
  public LastHttpContent replace(ByteBuf content) {
    return new DefaultLastHttpContent(content);
  }

  @Override
  public int refCnt() {
    return piece.refCnt();
  }

  @Override
  public LastHttpContent retain() {
    piece.retain();
    return this;
  }

  @Override
  public LastHttpContent retain(int increment) {
    piece.retain(increment);
    return this;
  }

  @Override
  public LastHttpContent touch() {
    piece.touch();
    return this;
  }

  @Override
  public LastHttpContent touch(Object hint) {
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
