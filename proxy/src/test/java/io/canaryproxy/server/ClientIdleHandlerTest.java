package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code timeouts.clientIdle}: the all-idle event comes after the timeout without a read or a
 * write, not before, and again after each further timeout; a read or a write starts the wait again.
 * Writes keep their promise (a void one stays void: no object per write).
 */
class ClientIdleHandlerTest {
  private final List<Object> events = new ArrayList<>();
  private final List<ChannelPromise> promises = new ArrayList<>();

  private EmbeddedChannel channel() {
    // The embedded clock is frozen before the handler's timer is set, so that only advanceTimeBy
    // moves it (real time passing on a loaded machine would make the 999 ms checks late).
    EmbeddedChannel ch = new EmbeddedChannel();
    ch.freezeTime();
    ch.pipeline()
        .addLast(
            new ChannelOutboundHandlerAdapter() {
              @Override
              public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
                promises.add(promise);
                ctx.write(msg, promise);
              }
            },
            new ClientIdleHandler(1000),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
              }
            });
    return ch;
  }

  @Test
  void anIdleConnectionGetsTheEventAfterTheTimeoutAndAgainAfterEachFurtherOne() {
    EmbeddedChannel ch = channel();
    ch.advanceTimeBy(999, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).isEmpty();
    ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    ch.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events)
        .containsExactly(
            IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT, IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aReadOrAWriteStartsTheWaitAgain() {
    EmbeddedChannel ch = channel();
    ch.advanceTimeBy(600, TimeUnit.MILLISECONDS);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
    ch.advanceTimeBy(600, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).isEmpty(); // 1.2 s since the start, 0.6 s since the read
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {'y'}));
    ch.advanceTimeBy(600, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).isEmpty(); // 0.6 s since the write
    ch.advanceTimeBy(400, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isTrue(); // the read and the written byte
  }

  @Test
  void aVoidPromiseStaysVoid() {
    EmbeddedChannel ch = channel();
    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'z'}), ch.voidPromise());
    assertThat(promises).singleElement().satisfies(p -> assertThat(p.isVoid()).isTrue());
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Test
  void aClosedConnectionGetsNoEvent() {
    EmbeddedChannel ch = channel();
    ch.close();
    ch.advanceTimeBy(5, TimeUnit.SECONDS);
    ch.runScheduledPendingTasks();
    assertThat(events).isEmpty();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
