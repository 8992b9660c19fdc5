package io.canaryproxy.analysis;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;

/**
 * The observation window of the current step, for {@link StepAnalysis}: since when the step has
 * been watched, until when the canary is still warming up ({@code rollout.analysis.warmup}), and
 * when the last decisive (PASS or FAIL) look was. The window only runs once the warm-up is over, so
 * a step is always watched for {@code stepInterval} with counted verdicts. Not thread-safe: the
 * controller guards it.
 */
final class StepWindow {
  private final Duration warmup;
  private Instant start;
  private Instant warmupEnds;
  private Instant lastDecision;

  /** A window that opens at {@code now}, with no warm-up running yet. */
  StepWindow(Duration warmup, Instant now) {
    this.warmup = Objects.requireNonNull(warmup, "warmup");
    this.start = now;
    this.warmupEnds = now;
    this.lastDecision = now;
  }

  /**
   * Opens a fresh window at {@code now}. With {@code warmUp} (the canary starts, or starts again,
   * to receive traffic) a warm-up starts too; else a running one goes on.
   */
  void restart(Instant now, boolean warmUp) {
    start = now;
    lastDecision = now;
    if (warmUp) {
      warmupEnds = now.plus(warmup);
    }
  }

  /** Whether {@code now} falls within the warm-up. Always false with {@code warmup: 0s}. */
  boolean warmingUp(Instant now) {
    return now.isBefore(warmupEnds);
  }

  /**
   * Counts one look that was not ignored: a FAIL restarts the window's clock (the step's evidence
   * is kept by the caller), a FAIL or a PASS is a decision.
   */
  void count(Verdict.Outcome outcome, Instant now) {
    if (outcome == Verdict.Outcome.FAIL) {
      start = now;
    }
    if (outcome != Verdict.Outcome.INCONCLUSIVE) {
      lastDecision = now;
    }
  }

  /**
   * Whether the window has run for at least {@code stepInterval} at {@code now}, counted from its
   * start or from the end of the warm-up, whichever is later.
   */
  boolean hasRun(Duration stepInterval, Instant now) {
    return !Duration.between(later(start), now).minus(stepInterval).isNegative();
  }

  /**
   * How long the step has gone without a decisive look at {@code now}: since the last PASS or FAIL,
   * the window's opening or the end of the warm-up, whichever is latest.
   */
  Duration undecidedFor(Instant now) {
    Duration d = Duration.between(later(lastDecision), now);
    return d.isNegative() ? Duration.ZERO : d;
  }

  private Instant later(Instant t) {
    return warmupEnds.isAfter(t) ? warmupEnds : t;
  }
}
