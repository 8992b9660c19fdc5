package io.canaryproxy.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Flags;
import io.netty.handler.codec.http2.Http2FrameTypes;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder;

/**
 * The frame writer of the proxy's HTTP/2 connections: Netty's, except for the two frames every
 * exchange writes, with the same bytes on the wire. A HEADERS frame is one buffer, its frame header
 * followed by the HPACK block encoded in place (a block larger than the peer's
 * SETTINGS_MAX_FRAME_SIZE goes on in CONTINUATION frames in the same buffer, RFC 9113 §6.10),
 * written with the caller's promise. A DATA frame of at most {@link #MAX_COPIED_DATA_BYTES} is
 * copied behind its frame header into one buffer; a larger one (up to the frame size) is written as
 * its header and then the payload as it is, the caller's promise completing with the payload's
 * write and failing when either write fails. Netty's writer makes, per such frame, an aggregate
 * promise with a child promise per buffer, a header buffer and slices, which the write batch
 * ({@link Http2WriteBatchHandler}) then copies and completes one by one. Padded frames, the HEADERS
 * overload with a priority, DATA larger than the frame size (several frames) and every other frame
 * type are Netty's. Event-loop only.
 */
final class Http2FrameWriterLean extends DefaultHttp2FrameWriter {
  private static final int FRAME_HEADER_BYTES = Http2CodecUtil.FRAME_HEADER_LENGTH;

  /**
   * A DATA payload of at most this many bytes is copied behind its frame header, so that the whole
   * frame is one buffer the write batch copies ({@link Http2WriteBatchHandler#MAX_COPIED_BYTES}).
   */
  static final int MAX_COPIED_DATA_BYTES =
      Http2WriteBatchHandler.MAX_COPIED_BYTES - FRAME_HEADER_BYTES;

  /**
   * The starting capacity of a HEADERS frame's buffer, in bytes: after a connection's first block,
   * most fields refer to the dynamic table and a block takes tens of bytes; a larger one grows it.
   */
  static final int HEADERS_FRAME_BYTES = 128;

  private final Http2HeadersEncoder headersEncoder;

  /** A writer whose header blocks {@code headersEncoder} encodes (closed with the writer). */
  Http2FrameWriterLean(Http2HeadersEncoder headersEncoder) {
    super(headersEncoder);
    this.headersEncoder = headersEncoder;
  }

  @Override
  public ChannelFuture writeHeaders(
      ChannelHandlerContext ctx,
      int streamId,
      Http2Headers headers,
      int padding,
      boolean endStream,
      ChannelPromise promise) {
    if (padding != 0 || streamId <= 0) {
      // Netty's: padding, or an invalid stream id (which it refuses)
      return super.writeHeaders(ctx, streamId, headers, padding, endStream, promise);
    }
    ByteBuf frame = ctx.alloc().buffer(HEADERS_FRAME_BYTES);
    try {
      frame.writerIndex(
          FRAME_HEADER_BYTES); // the header goes in front once the block's size is known
      headersEncoder.encodeHeaders(streamId, headers, frame);
      frame = framed(ctx, frame, streamId, endStream ? Http2Flags.END_STREAM : 0);
    } catch (Http2Exception e) {
      // a block the peer's limits refuse (its header list size): nothing is written
      frame.release();
      promise.tryFailure(e);
      return promise;
    } catch (Throwable t) {
      frame.release();
      promise.tryFailure(t);
      throw t;
    }
    return ctx.write(frame, promise);
  }

  /**
   * {@code frame} (a block encoded behind room for a frame header) with its frame header in place,
   * or when the block exceeds the frame size, a new buffer of a HEADERS frame and CONTINUATION
   * frames ({@code frame} is then released). END_STREAM, in {@code flags}, goes on the HEADERS
   * frame, END_HEADERS on the last frame.
   */
  private ByteBuf framed(ChannelHandlerContext ctx, ByteBuf frame, int streamId, int flags) {
    int start = frame.readerIndex();
    int blockBytes = frame.readableBytes() - FRAME_HEADER_BYTES;
    int max = maxFrameSize();
    if (blockBytes <= max) {
      frame.setMedium(start, blockBytes);
      frame.setByte(start + 3, Http2FrameTypes.HEADERS);
      frame.setByte(start + 4, flags | Http2Flags.END_HEADERS);
      frame.setInt(start + 5, streamId);
      return frame;
    }
    int frames = (blockBytes + max - 1) / max;
    ByteBuf out = ctx.alloc().buffer(blockBytes + frames * FRAME_HEADER_BYTES);
    int from = start + FRAME_HEADER_BYTES;
    byte type = Http2FrameTypes.HEADERS;
    int frameFlags = flags;
    for (int left = blockBytes; left > 0; ) {
      int n = Math.min(left, max);
      left -= n;
      writeFrameHeader(
          out, n, type, left == 0 ? frameFlags | Http2Flags.END_HEADERS : frameFlags, streamId);
      out.writeBytes(frame, from, n);
      from += n;
      type = Http2FrameTypes.CONTINUATION;
      frameFlags = 0;
    }
    frame.release();
    return out;
  }

  @Override
  public ChannelFuture writeData(
      ChannelHandlerContext ctx,
      int streamId,
      ByteBuf data,
      int padding,
      boolean endStream,
      ChannelPromise promise) {
    int bytes = data.readableBytes();
    if (padding != 0 || streamId <= 0 || bytes > maxFrameSize()) {
      // Netty's: padding, an invalid stream id, or a payload split into several frames
      return super.writeData(ctx, streamId, data, padding, endStream, promise);
    }
    int flags = endStream ? Http2Flags.END_STREAM : 0;
    boolean copied = bytes <= MAX_COPIED_DATA_BYTES;
    ByteBuf frame = null;
    try {
      frame = ctx.alloc().buffer(FRAME_HEADER_BYTES + (copied ? bytes : 0));
      writeFrameHeader(frame, bytes, Http2FrameTypes.DATA, flags, streamId);
      if (copied) {
        frame.writeBytes(data, data.readerIndex(), bytes);
      }
    } catch (Throwable t) {
      if (frame != null) {
        frame.release();
      }
      try {
        data.release();
      } finally {
        promise.tryFailure(t);
      }
      return promise;
    }
    if (copied) {
      data.release();
      return ctx.write(frame, promise);
    }
    // The header's write fails the promise too: the payload's write alone would decide it.
    ctx.write(
        frame, promise.isVoid() ? promise : ctx.newPromise().addListener(new FailWith(promise)));
    if (promise.isDone()) {
      // the header's write failed at once (a closed channel): the payload has nowhere to go
      data.release();
      return promise;
    }
    return ctx.write(data, promise);
  }

  private static void writeFrameHeader(
      ByteBuf out, int payloadBytes, byte type, int flags, int streamId) {
    out.writeMedium(payloadBytes);
    out.writeByte(type);
    out.writeByte(flags);
    out.writeInt(streamId);
  }

  /** Fails {@code promise} when the write it listens to failed. */
  private record FailWith(ChannelPromise promise) implements ChannelFutureListener {
    @Override
    public void operationComplete(ChannelFuture f) {
      if (!f.isSuccess()) {
        promise.tryFailure(f.cause());
      }
    }
  }
}
