package io.canaryproxy.server.http2;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.buffer.UnpooledUnsafeHeapByteBuf;
import io.netty.util.internal.PlatformDependent;

/**
 * The allocator of an HTTP/2 connection's channel: a small {@code buffer(...)} (at most {@link
 * #MAX_HEAP_BYTES} to start with) is an unpooled heap buffer, everything else comes from the pooled
 * allocator it wraps ({@code ioBuffer} for socket reads and the write batch, {@code directBuffer},
 * larger buffers). The frame writer takes one or two such small buffers for every frame (a whole
 * HEADERS or small DATA frame in {@link Http2FrameWriterLean}; the 9-byte frame header and a
 * payload in Netty's writer), which {@link Http2WriteBatchHandler} copies into its batch and
 * releases at once: from the pool, each cost a thread-cache round trip on allocation and release
 * (about 6% of the proxy's CPU under h2load); from the heap, a short-lived array. A heap buffer
 * that does reach the socket (a HEADERS frame over 1 KiB) is copied to a direct one by the
 * transport, as any heap buffer is. Leak detection applies to both kinds.
 */
final class Http2FrameAllocator extends AbstractByteBufAllocator {
  /** The largest initial capacity of a {@code buffer(...)} made on the heap, in bytes. */
  static final int MAX_HEAP_BYTES = Http2WriteBatchHandler.MAX_COPIED_BYTES;

  private static final boolean UNSAFE = PlatformDependent.hasUnsafe();

  private final ByteBufAllocator pooled;

  Http2FrameAllocator(ByteBufAllocator pooled) {
    super(true);
    this.pooled = pooled;
  }

  /** The pooled allocator behind this one. */
  ByteBufAllocator pooled() {
    return pooled;
  }

  @Override
  public ByteBuf buffer() {
    return heapBuffer();
  }

  @Override
  public ByteBuf buffer(int initialCapacity) {
    return initialCapacity <= MAX_HEAP_BYTES
        ? heapBuffer(initialCapacity)
        : pooled.buffer(initialCapacity);
  }

  @Override
  public ByteBuf buffer(int initialCapacity, int maxCapacity) {
    return initialCapacity <= MAX_HEAP_BYTES
        ? heapBuffer(initialCapacity, maxCapacity)
        : pooled.buffer(initialCapacity, maxCapacity);
  }

  @Override
  public ByteBuf ioBuffer() {
    return pooled.ioBuffer();
  }

  @Override
  public ByteBuf ioBuffer(int initialCapacity) {
    return pooled.ioBuffer(initialCapacity);
  }

  @Override
  public ByteBuf ioBuffer(int initialCapacity, int maxCapacity) {
    return pooled.ioBuffer(initialCapacity, maxCapacity);
  }

  @Override
  public CompositeByteBuf compositeBuffer() {
    return pooled.compositeBuffer();
  }

  @Override
  public CompositeByteBuf compositeBuffer(int maxNumComponents) {
    return pooled.compositeBuffer(maxNumComponents);
  }

  @Override
  public CompositeByteBuf compositeDirectBuffer() {
    return pooled.compositeDirectBuffer();
  }

  @Override
  public CompositeByteBuf compositeDirectBuffer(int maxNumComponents) {
    return pooled.compositeDirectBuffer(maxNumComponents);
  }

  @Override
  public boolean isDirectBufferPooled() {
    return pooled.isDirectBufferPooled();
  }

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return toLeakAwareBuffer(
        UNSAFE
            ? new UnpooledUnsafeHeapByteBuf(this, initialCapacity, maxCapacity)
            : new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return pooled.directBuffer(initialCapacity, maxCapacity);
  }
}
