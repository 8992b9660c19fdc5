package io.canaryproxy.analysis;

import io.canaryproxy.config.RolloutConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The canary share of each step ({@code rollout.steps}), with the shadow gate as step 0 at 0% when
 * {@code shadowGate} is on. Immutable.
 */
final class RolloutSteps {
  private final List<Double> shares;
  private final boolean shadowGate;

  private RolloutSteps(List<Double> shares, boolean shadowGate) {
    this.shares = List.copyOf(shares);
    this.shadowGate = shadowGate;
  }

  /** No steps: no rollout is configured. */
  static final RolloutSteps NONE = new RolloutSteps(List.of(), false);

  /**
   * The steps of {@code config}.
   *
   * @throws IllegalArgumentException when there are none
   */
  static RolloutSteps of(RolloutConfig config) {
    List<Double> s = new ArrayList<>();
    if (config.shadowGate()) {
      s.add(0.0);
    }
    s.addAll(config.steps());
    if (s.isEmpty()) {
      throw new IllegalArgumentException("rollout.steps: [] (expected: at least one step)");
    }
    return new RolloutSteps(s, config.shadowGate());
  }

  /** The shares, step 0 first. */
  List<Double> shares() {
    return shares;
  }

  /** The share of step {@code i}. */
  double share(int i) {
    return shares.get(i);
  }

  /** True when {@code i} is the last step. */
  boolean isLast(int i) {
    return i + 1 >= shares.size();
  }

  /**
   * True when moving on from step {@code i} promotes the canary: it is the last or the next is
   * 100%.
   */
  boolean promotesFrom(int i) {
    return isLast(i) || shares.get(i + 1) >= 100;
  }

  /** True when step {@code i} in {@code state} judges the mirror at the shadow gate. */
  boolean inShadowGate(int i, RolloutState state) {
    return shadowGate
        && i == 0
        && state != RolloutState.ROLLED_BACK
        && state != RolloutState.PROMOTED;
  }

  /** The step of a stored status, within these steps. */
  int stored(RolloutStatus s) {
    return Math.max(0, Math.min(s.step(), shares.size() - 1));
  }

  /** The share a stored status stands at: 0 rolled back, its own promoted, else its step's. */
  double storedShare(RolloutStatus s) {
    return switch (s.state()) {
      case ROLLED_BACK -> 0.0;
      case PROMOTED -> s.canaryPercent();
      default -> shares.get(stored(s));
    };
  }
}
