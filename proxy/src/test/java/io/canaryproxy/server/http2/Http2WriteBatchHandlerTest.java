package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The write batching in front of an HTTP/2 connection handler: the bytes that reach the socket, in
 * order, the flush points and the promises are those of the writes it batched.
 */
class Http2WriteBatchHandlerTest {
  private static ByteBuf text(String s) {
    return Unpooled.directBuffer().writeBytes(s.getBytes(StandardCharsets.US_ASCII));
  }

  private static ByteBuf bytes(int n, char c) {
    return text(String.valueOf(c).repeat(n));
  }

  /** The messages that reached the socket, as text, each released. */
  private static List<String> written(EmbeddedChannel ch) {
    List<String> out = new ArrayList<>();
    ByteBuf b;
    while ((b = ch.readOutbound()) != null) {
      out.add(b.toString(StandardCharsets.US_ASCII));
      b.release();
    }
    return out;
  }

  @Test
  void smallWritesLeaveAsOneMessageAtTheFlushAndTheirPromisesCompleteThen() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2WriteBatchHandler());
    ChannelPromise a = ch.newPromise();
    ChannelPromise b = ch.newPromise();
    ch.write(text("frame-header|"), a);
    ch.write(text("payload|"), b);
    ch.write(text("void"), ch.voidPromise());
    assertThat(a.isDone()).isFalse();
    assertThat(written(ch)).isEmpty();

    ch.flush();

    assertThat(written(ch)).containsExactly("frame-header|payload|void");
    assertThat(a.isSuccess()).isTrue();
    assertThat(b.isSuccess()).isTrue();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aLargeWritePassesInOrderBetweenBatches() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2WriteBatchHandler());
    ByteBuf large = bytes(Http2WriteBatchHandler.MAX_COPIED_BYTES + 1, 'L');
    ch.write(text("h1"));
    ch.write(large);
    ch.write(text("h2"));
    ch.flush();

    assertThat(written(ch))
        .containsExactly("h1", "L".repeat(Http2WriteBatchHandler.MAX_COPIED_BYTES + 1), "h2");
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFullBatchIsWrittenOnAndNoByteIsLostOrReordered() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2WriteBatchHandler());
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      char c = (char) ('a' + i % 26);
      ch.write(bytes(Http2WriteBatchHandler.MAX_COPIED_BYTES, c));
      expected.append(String.valueOf(c).repeat(Http2WriteBatchHandler.MAX_COPIED_BYTES));
    }
    ch.flush();

    List<String> out = written(ch);
    assertThat(out).hasSizeGreaterThan(1);
    assertThat(out).allMatch(s -> s.length() <= Http2WriteBatchHandler.BATCH_BYTES);
    assertThat(String.join("", out)).isEqualTo(expected.toString());
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFailedBatchFailsEachPromiseAndReportsWhereAVoidPromiseWould() {
    List<Throwable> reported = new ArrayList<>();
    IOException broken = new IOException("broken pipe");
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                ByteBufUtil.ensureAccessible((ByteBuf) msg).release();
                promise.setFailure(broken);
              }
            },
            new Http2WriteBatchHandler(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                reported.add(cause);
              }
            });
    ChannelPromise a = ch.newPromise();
    ch.write(text("x"), a);
    ch.write(text("y"), ch.voidPromise());
    ch.flush();

    assertThat(a.cause()).isSameAs(broken);
    assertThat(reported).containsExactly(broken);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void writesNeverFlushedFailWhenTheChannelGoesAndNothingLeaks() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2WriteBatchHandler());
    ChannelPromise a = ch.newPromise();
    ch.write(text("never flushed"), a);
    ch.pipeline().remove(Http2WriteBatchHandler.class);

    assertThat(a.isSuccess()).isFalse();
    assertThat(a.cause()).isNotNull();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /** A sink that fails every write with {@code cause}, after the batching handler. */
  private static EmbeddedChannel failingChannel(IOException cause, List<Throwable> reported) {
    return new EmbeddedChannel(
        new ChannelOutboundHandlerAdapter() {
          @Override
          public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
            ByteBufUtil.ensureAccessible((ByteBuf) msg).release();
            promise.setFailure(cause);
          }
        },
        new Http2WriteBatchHandler(),
        new ChannelInboundHandlerAdapter() {
          @Override
          public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reported.add(cause);
          }
        });
  }

  @Test
  void aBatchOfOneWriteCompletesThatWritesPromiseOnlyOnceWritten() {
    List<ChannelPromise> seen = new ArrayList<>();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                seen.add(promise);
                ctx.write(msg, promise);
              }
            },
            new Http2WriteBatchHandler());
    ChannelPromise a = ch.newPromise();
    ch.write(text("only"), a);
    assertThat(a.isDone()).isFalse();

    ch.flush();

    assertThat(written(ch)).containsExactly("only");
    assertThat(a.isSuccess()).isTrue();
    assertThat(seen).containsExactly(a); // passed on as it is: no promise or listener of its own
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aCancelledPromiseDoesNotDropTheOtherWritesOfItsBatch() {
    EmbeddedChannel ch = new EmbeddedChannel(new Http2WriteBatchHandler());
    ChannelPromise a = ch.newPromise();
    ch.write(text("cancelled|"), a);
    ch.write(text("kept"), new VoidChannelPromise(ch, false));
    assertThat(a.cancel(false)).isTrue();

    ch.flush();

    assertThat(written(ch)).containsExactly("cancelled|kept");
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFailedBatchOfOneWriteFailsItsPromiseAndReportsNothing() {
    List<Throwable> reported = new ArrayList<>();
    IOException broken = new IOException("broken pipe");
    EmbeddedChannel ch = failingChannel(broken, reported);
    ChannelPromise a = ch.newPromise();
    ch.write(text("x"), a);
    ch.flush();

    assertThat(a.cause()).isSameAs(broken);
    assertThat(reported).isEmpty();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aFailedBatchOfVoidWritesIsReportedOnceAndQuietOnesAreNot() {
    List<Throwable> reported = new ArrayList<>();
    IOException broken = new IOException("broken pipe");
    EmbeddedChannel ch = failingChannel(broken, reported);
    ch.write(text("x"), ch.voidPromise());
    ch.write(text("y"), ch.voidPromise());
    ch.flush();
    assertThat(reported).containsExactly(broken);

    ch.write(text("z"), new VoidChannelPromise(ch, false));
    ch.flush();
    assertThat(reported).containsExactly(broken);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
