package io.canaryproxy.server.http1;

import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.function.Predicate;

/**
 * The client messages of one connection that wait their turn, in arrival order: a message is handed
 * on only when nothing waits before it and the handler takes it, so pipelined requests are answered
 * in order. Once closed, it releases what it holds and every later message. Event-loop only.
 */
final class PipelineQueue {
  private final ArrayDeque<Object> pending = new ArrayDeque<>(4);
  private final Predicate<Object> handler;
  private boolean closed;

  /**
   * @param handler handles a message now and returns true, or returns false (keeping no reference)
   *     when the message must wait
   */
  PipelineQueue(Predicate<Object> handler) {
    this.handler = handler;
  }

  /** Hands {@code msg} on, or queues it; takes ownership of it. */
  void offer(Object msg) {
    if (closed) {
      ReferenceCountUtil.release(msg);
    } else if (!pending.isEmpty() || !handler.test(msg)) {
      pending.add(msg);
    }
  }

  /** Hands queued messages on, in order, as far as the handler takes them. */
  void drain() {
    Object msg;
    while (!closed && (msg = pending.poll()) != null) {
      if (!handler.test(msg)) {
        pending.addFirst(msg);
        break;
      }
    }
  }

  /** True when nothing waits. */
  boolean isEmpty() {
    return pending.isEmpty();
  }

  /** True once {@link #close} was called. */
  boolean closed() {
    return closed;
  }

  /** Releases every waiting message and, from now on, every offered one. */
  void close() {
    closed = true;
    Object msg;
    while ((msg = pending.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
