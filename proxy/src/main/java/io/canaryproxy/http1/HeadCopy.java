package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.buffer.UnpooledHeapByteBuf;
import io.netty.util.concurrent.FastThreadLocal;

/**
 * A heap copy of the bytes a head parser is about to read, whose {@link #getByte} is a plain array
 * read: the parsers read a head byte by byte, several times over, and each read of a pooled direct
 * buffer checks its bounds and its reference count first. One per thread (event loop), refilled for
 * each {@code parse} call ({@link #of}) and read only during it; never released (it holds no pooled
 * memory). The parser's result is the same on the copy as on the buffer: its offsets are relative
 * to the reader index, which the caller moves on the buffer by as much as the parser moved it on
 * the copy (empty lines skipped).
 */
public final class HeadCopy extends UnpooledHeapByteBuf {
  /** The most bytes copied; a larger receive buffer is parsed where it is. */
  public static final int MAX_BYTES = 4096;

  private static final FastThreadLocal<HeadCopy> LOCAL =
      new FastThreadLocal<>() {
        @Override
        protected HeadCopy initialValue() {
          return new HeadCopy(new byte[MAX_BYTES]);
        }
      };

  private final byte[] bytes;

  private HeadCopy(byte[] bytes) {
    super(UnpooledByteBufAllocator.DEFAULT, bytes, bytes.length);
    this.bytes = bytes;
  }

  /**
   * The readable bytes of {@code buf} as the thread's copy (reader index 0), or {@code buf} itself
   * when they are more than {@link #MAX_BYTES}.
   */
  public static ByteBuf of(ByteBuf buf) {
    return buf.readableBytes() > MAX_BYTES ? buf : LOCAL.get().fill(buf);
  }

  private ByteBuf fill(ByteBuf buf) {
    int n = buf.readableBytes();
    buf.getBytes(buf.readerIndex(), bytes, 0, n);
    setIndex(0, n);
    return this;
  }

  /**
   * No bounds check in production: past the writer index the array still holds an earlier head
   * parsed on this thread (another connection's bytes), so a parser must never read there. The
   * assertion (on in the tests) makes a parser that does fail instead of reading them.
   */
  @Override
  public byte getByte(int index) {
    assert index >= 0 && index < writerIndex() : index + " past the copy's " + writerIndex();
    return bytes[index];
  }

  @Override
  public short getUnsignedByte(int index) {
    assert index >= 0 && index < writerIndex() : index + " past the copy's " + writerIndex();
    return (short) (bytes[index] & 0xff);
  }
}
