package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PipelineQueueTest {
  /** Takes a message when it is in {@code open}; records what it took, in order. */
  private final Set<Object> open = new HashSet<>();

  private final List<Object> taken = new ArrayList<>();
  private final PipelineQueue queue =
      new PipelineQueue(
          msg -> {
            if (!open.contains(msg)) {
              return false;
            }
            taken.add(msg);
            return true;
          });

  @Test
  void aMessageIsHandedOnAtOnceWhenNothingWaits() {
    open.add("a");
    queue.offer("a");
    assertThat(taken).containsExactly("a");
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void aLaterMessageWaitsBehindAnEarlierOneThatWasRefused() {
    open.add("b");
    queue.offer("a");
    queue.offer("b");
    assertThat(taken).isEmpty();
    open.add("a");
    queue.drain();
    assertThat(taken).containsExactly("a", "b");
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void drainStopsAtTheFirstRefusalAndKeepsItInFront() {
    open.add("a");
    open.add("c");
    queue.offer("x");
    queue.offer("a");
    queue.offer("b");
    queue.offer("c");
    open.add("x");
    queue.drain();
    assertThat(taken).containsExactly("x", "a");
    open.add("b");
    queue.drain();
    assertThat(taken).containsExactly("x", "a", "b", "c");
  }

  @Test
  void closeReleasesWaitingMessagesAndEveryLaterOne() {
    ByteBuf waiting = Unpooled.buffer(4).writeInt(1);
    ByteBuf later = Unpooled.buffer(4).writeInt(2);
    open.add(later);
    queue.offer(waiting);
    queue.close();
    queue.offer(later);
    queue.drain();
    assertThat(waiting.refCnt()).isZero();
    assertThat(later.refCnt()).isZero();
    assertThat(taken).isEmpty();
    assertThat(queue.closed()).isTrue();
    assertThat(queue.isEmpty()).isTrue();
  }
}
