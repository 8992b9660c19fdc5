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
 * {@code timeouts.clientIdle} and {@code timeouts.backendIdle}: the idle event comes after the
 * timeout without activity, never before and at most an eighth of it later, and again after each
 * further timeout; activity (a read, and on a client connection a write) starts the wait again.
 * Writes keep their promise (a void one stays void: no object per write).
 */
class IdleTimeoutHandlerTest {
  /** How late the event may be after a whole timeout of quiet, in milliseconds. */
  private static final long SLACK = 1000 / IdleTimeoutHandler.CHECKS_PER_TIMEOUT;

  private final List<Object> events = new ArrayList<>();
  private final List<ChannelPromise> promises = new ArrayList<>();

  private EmbeddedChannel channel(IdleTimeoutHandler handler) {
    // The embedded clock is frozen before the handler's timer is set, so that only advance moves
    // it (real time passing on a loaded machine would make the 999 ms checks late).
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
            handler,
            new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
              }
            });
    return ch;
  }

  private EmbeddedChannel client() {
    return channel(IdleTimeoutHandler.client(1000));
  }

  /** Moves the clock on a millisecond at a time, running the timers due, as a real loop would. */
  private static void advance(EmbeddedChannel ch, long millis) {
    for (long i = 0; i < millis; i++) {
      ch.advanceTimeBy(1, TimeUnit.MILLISECONDS);
      ch.runScheduledPendingTasks();
    }
  }

  @Test
  void anIdleConnectionGetsTheEventAfterTheTimeoutAndAgainAfterEachFurtherOne() {
    EmbeddedChannel ch = client();
    advance(ch, 999);
    assertThat(events).isEmpty();
    advance(ch, 1);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    advance(ch, 1000);
    assertThat(events)
        .containsExactly(
            IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT, IdleStateEvent.ALL_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void aReadOrAWriteStartsTheWaitAgain() {
    EmbeddedChannel ch = client();
    advance(ch, 600);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
    advance(ch, 600);
    assertThat(events).isEmpty(); // 1.2 s since the start, 0.6 s since the read
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {'y'}));
    advance(ch, 999);
    assertThat(events).isEmpty(); // 0.999 s since the write
    advance(ch, SLACK + 1); // the timeout and an eighth after it, inclusive
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isTrue(); // the read and the written byte
  }

  @Test
  void aConnectionReadEveryFewHundredMillisecondsNeverGetsTheEvent() {
    EmbeddedChannel ch = client();
    for (int i = 0; i < 20; i++) {
      advance(ch, 900);
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
    }
    assertThat(events).isEmpty(); // 18 s, never 1 s without a read
    advance(ch, 999);
    assertThat(events).isEmpty();
    advance(ch, SLACK + 1); // the timeout and an eighth after it, inclusive
    assertThat(events).containsExactly(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Test
  void onABackendConnectionOnlyReadsCountAndTheEventsAreReaderIdleOnes() {
    EmbeddedChannel ch = channel(IdleTimeoutHandler.backend(1000));
    advance(ch, 600);
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[] {'y'}));
    advance(ch, 400);
    // A request written is no answer: the connection stayed unread for the timeout.
    assertThat(events).containsExactly(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {'x'}));
    advance(ch, 999);
    assertThat(events).containsExactly(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    advance(ch, SLACK + 1); // the timeout and an eighth after it, inclusive
    assertThat(events)
        .containsExactly(
            IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT,
            IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
    advance(ch, 1000);
    assertThat(events).last().isEqualTo(IdleStateEvent.READER_IDLE_STATE_EVENT);
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Test
  void aVoidPromiseStaysVoid() {
    EmbeddedChannel ch = client();
    ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {'z'}), ch.voidPromise());
    assertThat(promises).singleElement().satisfies(p -> assertThat(p.isVoid()).isTrue());
    assertThat(ch.finishAndReleaseAll()).isTrue();
  }

  @Test
  void aClosedConnectionGetsNoEvent() {
    EmbeddedChannel ch = client();
    ch.close();
    advance(ch, 5000);
    assertThat(events).isEmpty();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  /**
   * A proxy under connection churn (each closed connection had one periodic timer) keeps no timer
   * of a closed or removed handler in its event loop's queue: the loop's queue stays the size of
   * its open connections.
   */
  @Test
  void aClosedConnectionOrARemovedHandlerLeavesNoTimerInTheLoop() {
    EmbeddedChannel ch = client();
    assertThat(ch.runScheduledPendingTasks()).as("the open connection's timer").isPositive();
    ch.close();
    assertThat(ch.runScheduledPendingTasks()).as("nothing left scheduled").isEqualTo(-1);
    assertThat(ch.finishAndReleaseAll()).isFalse();

    EmbeddedChannel removed = channel(IdleTimeoutHandler.backend(1000));
    assertThat(removed.runScheduledPendingTasks()).isPositive();
    removed.pipeline().remove(IdleTimeoutHandler.class);
    assertThat(removed.runScheduledPendingTasks()).isEqualTo(-1);
    assertThat(removed.isOpen()).isTrue();
    assertThat(removed.finishAndReleaseAll()).isFalse();
  }
}
