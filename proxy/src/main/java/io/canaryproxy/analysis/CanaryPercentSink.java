package io.canaryproxy.analysis;

/**
 * Applies the canary share decided by the {@link RolloutController}. The composition root
 * implements it with an atomic swap of the routing table; it is called on the analysis or admin
 * thread, must be fast and must not throw.
 */
@FunctionalInterface
public interface CanaryPercentSink {
  /** Sends {@code percent} (0..100) of users to the canary from now on. */
  void setCanaryPercent(double percent);
}
