package io.canaryproxy.analysis;

/**
 * Runs the gates of a stage for the {@link RolloutController}, off its thread: every gate of the
 * stage is asked until all of them answer 2xx in the same round, and {@link Listener#failed} is
 * told of each round that did not pass. The controller holds the rollout at the gate meanwhile.
 */
public interface Gatekeeper {
  /** No gates: every stage is open. */
  Gatekeeper NONE =
      new Gatekeeper() {
        @Override
        public boolean has(GateStage stage) {
          return false;
        }

        @Override
        public Wait await(GateStage stage, Listener listener) {
          throw new IllegalStateException("no gates at " + stage.jsonName());
        }
      };

  /** True when {@code stage} has gates. */
  boolean has(GateStage stage);

  /**
   * Starts asking the gates of {@code stage}; returns at once. The listener is called on the
   * gatekeeper's thread, never while the caller's lock is needed to return.
   */
  Wait await(GateStage stage, Listener listener);

  /** What the controller hears about a wait. */
  interface Listener {
    /** Every gate answered 2xx; the wait is over. */
    void passed(String detail);

    /**
     * A round failed (an error, a timeout or a non-2xx answer after the retries); waiting goes on.
     */
    void failed(String why);
  }

  /** A wait in progress. */
  interface Wait {
    /** Stops asking; no listener call follows. */
    void cancel();
  }
}
