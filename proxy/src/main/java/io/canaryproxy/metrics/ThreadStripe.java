package io.canaryproxy.metrics;

import io.netty.util.concurrent.FastThreadLocal;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small number for each recording thread, so that recorders can keep cells that only that thread
 * writes (no atomic instruction, no shared cache line on the request path). The first {@link #MAX}
 * threads to ask get their own numbers, 0 up; every later one gets {@link #SHARED}, whose cells are
 * written under a lock (or by a multi-writer recorder). Event-loop threads are Netty {@code
 * FastThreadLocalThread}s, on which the lookup is an array read.
 */
final class ThreadStripe {
  /** Threads that get a number of their own. */
  static final int MAX = 64;

  /** The number shared by the threads beyond {@link #MAX}: its writers must synchronize. */
  static final int SHARED = MAX;

  private static final AtomicInteger NEXT = new AtomicInteger();
  private static final FastThreadLocal<Integer> STRIPE =
      new FastThreadLocal<>() {
        @Override
        protected Integer initialValue() {
          int s = NEXT.getAndIncrement();
          return s < MAX ? s : SHARED;
        }
      };

  private ThreadStripe() {}

  /** The calling thread's number: 0 .. {@link #MAX}, where {@link #MAX} is {@link #SHARED}. */
  static int current() {
    return STRIPE.get();
  }
}
