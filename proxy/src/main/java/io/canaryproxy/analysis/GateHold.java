package io.canaryproxy.analysis;

import java.time.Clock;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The rollout's wait at the gates of one stage ({@code rollout.gates}), for {@link RolloutMachine}:
 * at most one wait at a time. Starting a wait or {@link #cancel() cancelling} ends the one before,
 * and a wait that ended never reports again. The gatekeeper answers on its own thread; the answer
 * is handed on under the controller's lock. Not thread-safe otherwise: the controller guards it.
 */
final class GateHold {
  /** What the machine does with a failed round; called under the controller's lock. */
  @FunctionalInterface
  interface Failure {
    /** A round failed and the wait goes on; {@code first} for the first failure of this wait. */
    void failed(String why, boolean first);
  }

  private final Gatekeeper gates;
  private final Object lock;
  private final Clock clock;
  private Pending pending;

  /** A hold on {@code gates} whose answers are handed on while holding {@code lock}. */
  GateHold(Gatekeeper gates, Object lock, Clock clock) {
    this.gates = Objects.requireNonNull(gates, "gates");
    this.lock = Objects.requireNonNull(lock, "lock");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /** True when {@code stage} has gates. */
  boolean has(GateStage stage) {
    return gates.has(stage);
  }

  /** The stage waited at, or {@code null} when the rollout waits at no gate. */
  GateStage stage() {
    return pending == null ? null : pending.stage;
  }

  /**
   * Starts waiting at {@code stage}'s gates, ending any wait before. {@code onPassed} hears the
   * gatekeeper's detail once every gate answered 2xx (the wait is over by then), {@code onFailed}
   * each failed round; both under the controller's lock.
   */
  void await(GateStage stage, Consumer<String> onPassed, Failure onFailed) {
    cancel();
    Pending p = new Pending(stage, clock.instant().toString());
    pending = p;
    p.wait =
        gates.await(
            stage,
            new Gatekeeper.Listener() {
              @Override
              public void passed(String detail) {
                synchronized (lock) {
                  if (pending != p) {
                    return;
                  }
                  pending = null;
                  onPassed.accept(detail);
                }
              }

              @Override
              public void failed(String why) {
                synchronized (lock) {
                  if (pending != p) {
                    return;
                  }
                  boolean first = p.lastFailure == null;
                  p.lastFailure = why;
                  onFailed.failed(why, first);
                }
              }
            });
  }

  /** Ends the current wait, if any; no answer to it follows. */
  void cancel() {
    Pending p = pending;
    pending = null;
    if (p != null && p.wait != null) {
      p.wait.cancel();
    }
  }

  /** The current wait for the status, or {@code null}. */
  RolloutStatus.GateStatus status() {
    return pending == null
        ? null
        : new RolloutStatus.GateStatus(pending.stage, pending.since, pending.lastFailure);
  }

  /** A wait at a gate: guarded by the controller. */
  private static final class Pending {
    final GateStage stage;
    final String since;
    Gatekeeper.Wait wait;
    String lastFailure;

    Pending(GateStage stage, String since) {
      this.stage = stage;
      this.since = since;
    }
  }
}
