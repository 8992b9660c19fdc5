package io.canaryproxy.routing;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

/**
 * Holds the live {@link RoutingTable} in one {@link AtomicReference}. A request reads {@link
 * #current()} once when it arrives; the rollout controller, the admin API and a config reload
 * replace it. No lock is taken.
 */
public final class Router {
  private final AtomicReference<RoutingTable> table;

  public Router(RoutingTable initial) {
    this.table = new AtomicReference<>(Objects.requireNonNull(initial, "initial"));
  }

  /** The live snapshot. */
  public RoutingTable current() {
    return table.get();
  }

  /**
   * Atomically replaces the snapshot with {@code f(current)}; {@code f} may run more than once
   * under contention, so it must have no side effects.
   *
   * @return the snapshot installed
   */
  public RoutingTable update(UnaryOperator<RoutingTable> f) {
    return table.updateAndGet(t -> Objects.requireNonNull(f.apply(t), "f returned null"));
  }
}
