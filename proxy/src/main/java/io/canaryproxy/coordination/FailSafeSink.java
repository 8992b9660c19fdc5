package io.canaryproxy.coordination;

import io.canaryproxy.analysis.CanaryPercentSink;

/**
 * Stands between the rollout controller and the router: passes the controller's share on, except
 * while {@code failSafe: stable} holds, when the router gets 0% and the controller's share is kept
 * to be restored when the store is back.
 */
final class FailSafeSink implements CanaryPercentSink {
  private final CanaryPercentSink router;
  private double wanted;
  private boolean holdingStable;

  FailSafeSink(CanaryPercentSink router) {
    this.router = router;
  }

  @Override
  public synchronized void setCanaryPercent(double percent) {
    wanted = percent;
    if (!holdingStable) {
      router.setCanaryPercent(percent);
    }
  }

  /** Sends every user to stable until {@link #release()}. */
  synchronized void holdStable() {
    holdingStable = true;
    router.setCanaryPercent(0);
  }

  /** Applies the controller's share again. */
  synchronized void release() {
    if (holdingStable) {
      holdingStable = false;
      router.setCanaryPercent(wanted);
    }
  }

  synchronized boolean holdingStable() {
    return holdingStable;
  }
}
