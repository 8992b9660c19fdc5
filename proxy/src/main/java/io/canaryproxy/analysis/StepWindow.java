package io.canaryproxy.analysis;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The observation window of the current step, for {@link RolloutController}: since when the step
 * has been watched, how many PASS intervals counted, and until when the canary is still warming up
 * ({@code rollout.analysis.warmup}). The window only runs once the warm-up is over, so a step is
 * always watched for {@code stepInterval} with counted verdicts. Not thread-safe: the controller
 * guards it.
 */
final class StepWindow {
  private final Duration warmup;
  private Instant start;
  private Instant warmupEnds;
  private int passes;

  /** A window that opens at {@code now}, with no warm-up running yet. */
  StepWindow(Duration warmup, Instant now) {
    this.warmup = Objects.requireNonNull(warmup, "warmup");
    this.start = now;
    this.warmupEnds = now;
  }

  /**
   * Opens a fresh window at {@code now}, with no passes. With {@code warmUp} (the canary starts, or
   * starts again, to receive traffic) a warm-up starts too; else a running one goes on.
   */
  void restart(Instant now, boolean warmUp) {
    start = now;
    passes = 0;
    if (warmUp) {
      warmupEnds = now.plus(warmup);
    }
  }

  /** Whether {@code now} falls within the warm-up. Always false with {@code warmup: 0s}. */
  boolean warmingUp(Instant now) {
    return now.isBefore(warmupEnds);
  }

  /** Counts one interval that was not ignored: a FAIL restarts the window, a PASS adds a pass. */
  void count(Verdict.Outcome outcome, Instant now) {
    if (outcome == Verdict.Outcome.FAIL) {
      restart(now, false);
    } else if (outcome == Verdict.Outcome.PASS) {
      passes++;
    }
  }

  /** PASS intervals counted since the window opened. */
  int passes() {
    return passes;
  }

  /**
   * Whether the window has run for at least {@code stepInterval} at {@code now}, counted from its
   * start or from the end of the warm-up, whichever is later.
   */
  boolean hasRun(Duration stepInterval, Instant now) {
    Instant from = warmupEnds.isAfter(start) ? warmupEnds : start;
    return !Duration.between(from, now).minus(stepInterval).isNegative();
  }
}
