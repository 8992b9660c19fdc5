package io.canaryproxy.analysis;

import java.util.List;

/**
 * Receives every {@link RolloutEvent}. Called synchronously by the controller while it holds its
 * lock, so an implementation must be quick and must not block (hand work to another thread, as
 * {@link WebhookNotifier} does); an exception it throws is logged and ignored.
 */
@FunctionalInterface
public interface RolloutEventListener {
  /** A listener that ignores everything. */
  RolloutEventListener NONE = event -> {};

  void onEvent(RolloutEvent event);

  /** One listener that calls each of {@code listeners} in order. */
  static RolloutEventListener all(List<RolloutEventListener> listeners) {
    List<RolloutEventListener> copy = List.copyOf(listeners);
    return event -> copy.forEach(l -> l.onEvent(event));
  }
}
