package io.canaryproxy.analysis;

import java.time.Duration;
import java.time.Instant;

/**
 * {@code rollout.progressDeadline}: how long the current step has gone without advancing. The clock
 * restarts when a step is entered, on resume and restart, and when the proxy starts; time spent
 * waiting at a gate counts. Not thread-safe: the controller guards it.
 */
final class ProgressDeadline {
  private final Duration limit;
  private Instant since;

  /** {@code limit} of zero means no deadline. */
  ProgressDeadline(Duration limit, Instant now) {
    this.limit = limit;
    this.since = now;
  }

  void restart(Instant now) {
    since = now;
  }

  /** True when a deadline is set and {@code now} is at or past it. */
  boolean exceeded(Instant now) {
    return !limit.isZero() && Duration.between(since, now).compareTo(limit) >= 0;
  }

  String describe(int step, Instant now) {
    return "progress deadline: step "
        + step
        + " has not advanced in "
        + Duration.between(since, now)
        + " (progressDeadline: "
        + limit
        + ")";
  }
}
