package io.canaryproxy.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import java.nio.channels.ClosedChannelException;
import java.util.Arrays;

/**
 * Copies the small buffers an HTTP/2 connection handler writes (a whole HEADERS or small DATA frame
 * from {@link Http2FrameWriterLean}; a frame header of 9 bytes and the payload from Netty's writer,
 * which writes the other frames) into one batch buffer, written on as one message at the next
 * flush, when the batch is full, or before a larger buffer (which passes as it is, in order). Each
 * write used to be an entry of the socket's outbound buffer and an iovec of the next write system
 * call, and its small pooled buffer stayed allocated until the socket took it: with hundreds of
 * streams per read burst, that many buffers outlived the thread's allocation cache. Copied here, a
 * buffer is released at once. Bytes, their order and the flush points are unchanged; each write's
 * promise completes when its batch's write does, as before. Placed between the connection handler
 * and the socket (or TLS). Event-loop only.
 */
final class Http2WriteBatchHandler extends ChannelOutboundHandlerAdapter {
  /** A buffer of at most this many bytes is copied into the batch; a larger one passes. */
  static final int MAX_COPIED_BYTES = 1024;

  /** The capacity of a batch buffer, in bytes: a full batch is written on. */
  static final int BATCH_BYTES = 8192;

  private ByteBuf batch;

  /** The promises of the writes in {@link #batch} that are not void. */
  private ChannelPromise[] promises = new ChannelPromise[16];

  private int promiseCount;

  /** True when a write in the batch came with the channel's void promise, which reports failure. */
  private boolean reportFailure;

  private ChannelPromise quietVoid;

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    quietVoid = new VoidChannelPromise(ctx.channel(), false);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf && buf.readableBytes() <= MAX_COPIED_BYTES) {
      int bytes = buf.readableBytes();
      if (batch != null && batch.writableBytes() < bytes) {
        writeBatch(ctx);
      }
      if (batch == null) {
        batch = ctx.alloc().ioBuffer(BATCH_BYTES, BATCH_BYTES);
      }
      batch.writeBytes(buf, buf.readerIndex(), bytes);
      buf.release();
      keep(ctx, promise);
      return;
    }
    writeBatch(ctx);
    ctx.write(msg, promise);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    writeBatch(ctx);
    ctx.flush();
  }

  @Override
  public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
    writeBatch(ctx); // what was written before the close is written, as without this handler
    ctx.close(promise);
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    // The channel is gone (its pipeline torn down) with a batch never flushed: its writes fail, as
    // unflushed writes do when a channel closes.
    if (batch != null) {
      batch.release();
      batch = null;
      ChannelPromise[] failed = Arrays.copyOf(promises, promiseCount);
      clearPromises();
      ClosedChannelException cause = new ClosedChannelException();
      for (ChannelPromise p : failed) {
        p.tryFailure(cause);
      }
    }
  }

  private void keep(ChannelHandlerContext ctx, ChannelPromise promise) {
    if (promise.isVoid()) {
      if (promise == ctx.channel().voidPromise()) {
        reportFailure = true;
      }
      return;
    }
    if (promiseCount == promises.length) {
      promises = Arrays.copyOf(promises, promiseCount * 2);
    }
    promises[promiseCount++] = promise;
  }

  /** Writes the batch on, if there is one, with a promise that completes its writes' promises. */
  private void writeBatch(ChannelHandlerContext ctx) {
    ByteBuf b = batch;
    if (b == null) {
      return;
    }
    batch = null;
    ChannelPromise promise = batchPromise(ctx);
    clearPromises();
    ctx.write(b, promise);
  }

  /**
   * The promise of the batch's write: nothing to complete, a void one (the channel's own when a
   * write came with it, as it reports a failure the same way); one write's promise, that promise
   * itself once it can no longer be cancelled; else a promise of its own, whose completion
   * completes the writes' promises (a kept promise cancelled meanwhile would make the pipeline drop
   * the whole batch, the other writes' bytes with it).
   */
  private ChannelPromise batchPromise(ChannelHandlerContext ctx) {
    if (promiseCount == 0) {
      return reportFailure ? ctx.channel().voidPromise() : quietVoid;
    }
    ChannelPromise only = promises[0];
    if (promiseCount == 1 && !reportFailure && !only.isDone() && only.setUncancellable()) {
      return only;
    }
    ChannelPromise promise = ctx.newPromise();
    promise.addListener(new Completion(ctx, Arrays.copyOf(promises, promiseCount), reportFailure));
    return promise;
  }

  private void clearPromises() {
    Arrays.fill(promises, 0, promiseCount, null);
    promiseCount = 0;
    reportFailure = false;
  }

  /** Completes the promises of a batch's writes as the batch's write completed. */
  private record Completion(ChannelHandlerContext ctx, ChannelPromise[] promises, boolean report)
      implements ChannelFutureListener {
    @Override
    public void operationComplete(ChannelFuture f) {
      Throwable cause = f.cause();
      for (ChannelPromise p : promises) {
        if (cause == null) {
          p.trySuccess();
        } else {
          p.tryFailure(cause);
        }
      }
      if (cause != null && report) {
        ctx.channel().pipeline().fireExceptionCaught(cause); // as the channel's void promise does
      }
    }
  }
}
