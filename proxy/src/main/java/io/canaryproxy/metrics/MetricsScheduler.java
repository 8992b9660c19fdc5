package io.canaryproxy.metrics;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes a {@link LatencyRecorders} interval every {@code metrics.interval} and hands each snapshot
 * to the registered listeners (the canary judge subscribes here), on the executor's thread, in
 * registration order.
 */
public final class MetricsScheduler {
  private static final Logger log = LoggerFactory.getLogger(MetricsScheduler.class);

  private final LatencyRecorders recorders;
  private final Duration interval;
  private final List<Consumer<IntervalSnapshot>> listeners = new CopyOnWriteArrayList<>();
  private ScheduledFuture<?> task;

  /**
   * @param recorders the recorders to roll
   * @param interval time between rolls, {@code metrics.interval} (default 10s); must be positive
   */
  public MetricsScheduler(LatencyRecorders recorders, Duration interval) {
    if (interval == null || interval.isZero() || interval.isNegative()) {
      throw new IllegalArgumentException("metrics.interval: " + interval + " (expected: > 0)");
    }
    this.recorders = recorders;
    this.interval = interval;
  }

  /**
   * Adds a listener for every future snapshot; a listener that throws is logged and does not stop
   * the others.
   */
  public void addListener(Consumer<IntervalSnapshot> listener) {
    listeners.add(listener);
  }

  /**
   * Starts rolling at a fixed rate on {@code executor}; the first roll happens one interval from
   * now.
   */
  public synchronized void start(ScheduledExecutorService executor) {
    if (task != null) {
      throw new IllegalStateException("already started");
    }
    long nanos = interval.toNanos();
    task = executor.scheduleAtFixedRate(this::rollOnce, nanos, nanos, TimeUnit.NANOSECONDS);
  }

  /** Stops rolling; the executor itself is left to its owner. */
  public synchronized void stop() {
    if (task != null) {
      task.cancel(false);
      task = null;
    }
  }

  /** Rolls one interval now and notifies the listeners; returns the snapshot. */
  public IntervalSnapshot rollOnce() {
    IntervalSnapshot snapshot = recorders.rollInterval();
    for (Consumer<IntervalSnapshot> listener : listeners) {
      try {
        listener.accept(snapshot);
      } catch (RuntimeException e) {
        // A failing subscriber must not cancel the periodic task (an exception would suppress later
        // runs).
        log.warn("interval listener {} failed", listener, e);
      }
    }
    return snapshot;
  }
}
