package io.canaryproxy.analysis;

import java.io.IOException;
import java.util.Optional;

/**
 * Where {@link RolloutController} keeps its state between changes: the state file ({@link
 * RolloutStateStore}, one replica) or a fleet store shared by every replica ({@code
 * io.canaryproxy.coordination}). The controller calls it under its own lock.
 */
public interface RolloutStore {
  /**
   * The stored state, or empty when there is none yet.
   *
   * @throws java.io.UncheckedIOException when the stored state exists but cannot be read
   */
  Optional<RolloutStatus> load();

  /**
   * Stores {@code status}; a fleet store refuses (throws) a write based on a state older than the
   * stored one, so that two replicas never both move the rollout.
   */
  void save(RolloutStatus status) throws IOException;

  /** Where the state lives, for logs: a file path or a store URL and key. */
  String describe();

  /**
   * Thrown by {@link #save} when the stored state changed since this replica last saw it: another
   * replica wrote first, and its state wins.
   */
  final class ConflictException extends IOException {
    private static final long serialVersionUID = 1L;

    public ConflictException(String message) {
      super(message);
    }
  }
}
