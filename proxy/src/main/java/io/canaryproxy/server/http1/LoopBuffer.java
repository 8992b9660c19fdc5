package io.canaryproxy.server.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * A buffer an event loop writes the heads it encodes into, again and again, instead of allocating
 * and freeing a pooled buffer a head: each {@link #take} hands out the same buffer, cleared, once
 * the connection it was written to released it (sent it), or a new one while that connection still
 * holds it (not sent yet: a slow peer). The loop keeps one reference, released when its thread
 * ends. One for the request heads written to backends, one for the responses written to clients, so
 * that one seldom waits on the other. Event-loop only (any other thread gets its own).
 */
public final class LoopBuffer {
  /** The size of a new buffer, in bytes, unless a head needs more (it then grows as written). */
  private static final int BYTES = 2048;

  private static final FastThreadLocal<LoopBuffer> REQUEST_HEADS = local();
  private static final FastThreadLocal<LoopBuffer> RESPONSES = local();

  private ByteBuf kept;

  private LoopBuffer() {}

  private static FastThreadLocal<LoopBuffer> local() {
    return new FastThreadLocal<>() {
      @Override
      protected LoopBuffer initialValue() {
        return new LoopBuffer();
      }

      @Override
      protected void onRemoval(LoopBuffer b) {
        b.releaseKept();
      }
    };
  }

  /** An empty buffer of at least {@code size} bytes for a request head; the caller owns it. */
  public static ByteBuf forRequestHead(ByteBufAllocator alloc, int size) {
    return REQUEST_HEADS.get().take(alloc, size);
  }

  /** An empty buffer of at least {@code size} bytes for a response; the caller owns it. */
  static ByteBuf forResponse(ByteBufAllocator alloc, int size) {
    return RESPONSES.get().take(alloc, size);
  }

  private ByteBuf take(ByteBufAllocator alloc, int size) {
    ByteBuf b = kept;
    if (b != null) {
      if (b.refCnt() == 1 && b.capacity() >= size) {
        return b.clear().retain(); // only this loop's reference is left: sent
      }
      b.release(); // the connection still holding it frees it once sent
    }
    b = alloc.buffer(Math.max(size, BYTES));
    kept = b;
    return b.retain();
  }

  private void releaseKept() {
    if (kept != null) {
      kept.release();
      kept = null;
    }
  }
}
