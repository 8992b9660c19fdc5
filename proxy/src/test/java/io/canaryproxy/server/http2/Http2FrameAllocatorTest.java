package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 connection's allocator: the frame writer's small buffers on the heap, everything else
 * (socket reads, the write batch, large buffers) from the pooled allocator it wraps.
 */
class Http2FrameAllocatorTest {
  private final PooledByteBufAllocator pooled = new PooledByteBufAllocator(true);
  private final Http2FrameAllocator alloc = new Http2FrameAllocator(pooled);

  @Test
  void smallBuffersAreHeapBuffersThatGrowAsNeeded() {
    for (ByteBuf b : new ByteBuf[] {alloc.buffer(), alloc.buffer(9), alloc.buffer(1024, 4096)}) {
      assertThat(b.isDirect()).isFalse();
      assertThat(b.alloc()).isSameAs(alloc);
      b.writeBytes(new byte[2000]); // a header block larger than it started
      assertThat(b.readableBytes()).isEqualTo(2000);
      assertThat(b.release()).isTrue();
    }
  }

  @Test
  void largeIoAndDirectBuffersComeFromThePool() {
    ByteBuf[] bufs = {
      alloc.buffer(1025), alloc.buffer(4096, 8192), alloc.ioBuffer(64), alloc.directBuffer(64)
    };
    assertThat(pooled.metric().usedDirectMemory()).isPositive();
    for (ByteBuf b : bufs) {
      assertThat(b.isDirect()).isTrue();
      assertThat(b.alloc()).isSameAs(pooled);
      assertThat(b.release()).isTrue();
    }
    assertThat(alloc.isDirectBufferPooled()).isTrue();
  }

  @Test
  void aChannelGetsItOnceWrappingItsOwnAllocator() {
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.config().setAllocator(pooled);
    Http2Limits.useFrameAllocator(ch);
    Http2Limits.useFrameAllocator(ch);
    assertThat(ch.alloc()).isInstanceOf(Http2FrameAllocator.class);
    assertThat(((Http2FrameAllocator) ch.alloc()).pooled()).isSameAs(pooled);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
