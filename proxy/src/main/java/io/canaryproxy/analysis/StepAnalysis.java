package io.canaryproxy.analysis;

import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * The analysis of the current step, for {@link RolloutMachine}: it judges each interval and tells
 * the machine when the step must move, by these rules:
 *
 * <ul>
 *   <li>Evidence: each interval is added to the step's evidence ({@link StepEvidence}), and the
 *       judge looks at all of it, and at its recent windows: the interval only sets how often it
 *       looks. The evidence starts afresh with each step, on resume, and when the warm-up ends; a
 *       FAIL does not clear it. Business-metric results join each verdict ({@link MetricChecks}).
 *   <li>Promotion: a step advances at a PASS look once it has been observed for {@code
 *       stepInterval}; a FAIL restarts that clock.
 *   <li>Failure: after {@code failureThreshold} consecutive FAIL looks, {@code onFailure} applies.
 *       An INCONCLUSIVE look neither counts as a failure nor resets the count; a PASS resets it.
 *   <li>Indecision: when a step has gone {@code maxInconclusive} without a PASS or FAIL look (from
 *       its start, the end of its warm-up or the last decisive look), {@code onInconclusive}
 *       applies, with a reason that starts with "inconclusive:".
 *   <li>Warm-up ({@code analysis.warmup}): verdicts are {@link Verdict#ignored() ignored} unless
 *       errors or mismatches failed; {@code stepInterval} counts from its end.
 *   <li>Progress deadline ({@code lifecycle.progressDeadline}): how long the step has gone without
 *       advancing.
 * </ul>
 *
 * Not thread-safe: the controller guards it.
 */
final class StepAnalysis {
  private final RolloutConfig config;
  private final CanaryJudge judge;
  private final MetricSource metrics;
  private final StepWindow window;
  private final StepEvidence evidence = new StepEvidence();
  private final ProgressDeadline deadline;
  private int consecutiveFailures;
  private long inconclusiveLooks;

  /**
   * A move that a look asks for: to advance, or {@code action} (pause or roll back).
   *
   * @param action what to do, or {@code null} to advance
   * @param reason why, for the event and the status
   */
  record Move(OnFailure action, String reason) {
    static Move advance(String reason) {
      return new Move(null, reason);
    }

    boolean advances() {
      return action == null;
    }
  }

  /** The analysis for {@code config}'s rollout, whose first step opens at {@code now}. */
  StepAnalysis(RolloutConfig config, Clock clock, MetricSource metrics, Instant now) {
    this.config = config;
    this.metrics = metrics;
    this.judge = new CanaryJudge(config.analysis(), clock);
    this.window = new StepWindow(config.analysis().warmup(), now);
    this.deadline = new ProgressDeadline(config.lifecycle().progressDeadline(), now);
  }

  /**
   * Starts observing the step afresh at {@code now}: window, evidence, failure streak and progress
   * deadline. With {@code warmUp} (the canary starts, or starts again, to receive traffic) a
   * warm-up starts too.
   */
  void restart(Instant now, boolean warmUp) {
    reopen(now, warmUp);
    consecutiveFailures = 0;
    deadline.restart(now);
  }

  /**
   * A fresh window and evidence at {@code now}, keeping the failure streak and the deadline: for a
   * replica that follows another's step.
   */
  void reopen(Instant now, boolean warmUp) {
    window.restart(now, warmUp);
    evidence.reset(window.warmingUp(now));
  }

  /**
   * Judges one interval at {@code now}: adds it to the step's evidence and judges that (the
   * mirror's instead of the canary's at the {@code shadowGate}), with the business metrics joined.
   */
  Verdict look(JudgeInput in, boolean shadowGate, Instant now) {
    boolean warm = window.warmingUp(now);
    JudgeInput sum = evidence.add(in, warm);
    Verdict v =
        shadowGate ? judge.judgeShadow(sum, warm) : judge.judge(sum, evidence.recent(), warm);
    v = MetricChecks.combine(v, metrics.results());
    if (v.outcome() == Outcome.INCONCLUSIVE) {
      inconclusiveLooks++;
    }
    return v;
  }

  /**
   * Counts {@code v}, a look of a progressing step at {@code now}, and applies the rules above.
   *
   * @return the move it asks for, or {@code null} for none (always none for an ignored look)
   */
  Move decide(Verdict v, Instant now) {
    if (v.ignored()) {
      return null;
    }
    window.count(v.outcome(), now);
    if (v.outcome() == Outcome.FAIL) {
      consecutiveFailures++;
    } else if (v.outcome() == Outcome.PASS) {
      consecutiveFailures = 0;
    }
    AnalysisConfig analysis = config.analysis();
    Duration undecided = window.undecidedFor(now);
    if (consecutiveFailures >= analysis.failureThreshold()) {
      String why = consecutiveFailures + " consecutive failed looks; last: " + v.reason();
      return new Move(config.onFailure(), why);
    } else if (v.outcome() == Outcome.PASS && window.hasRun(config.stepInterval(), now)) {
      return Move.advance("observed for at least " + config.stepInterval() + "; " + v.reason());
    } else if (!analysis.maxInconclusive().isZero()
        && undecided.compareTo(analysis.maxInconclusive()) >= 0) {
      String why =
          "inconclusive: no PASS or FAIL for "
              + undecided
              + " (maxInconclusive: "
              + analysis.maxInconclusive()
              + "); last: "
              + v.reason();
      return new Move(analysis.onInconclusive(), why);
    }
    return null;
  }

  /**
   * The move ({@code onProgressDeadline}) when {@code step} has run past {@code progressDeadline}
   * at {@code now}, or {@code null} while it has not (or no deadline is set).
   */
  Move pastDeadline(int step, Instant now) {
    return deadline.exceeded(now)
        ? new Move(config.lifecycle().onProgressDeadline(), deadline.describe(step, now))
        : null;
  }

  /** Forgets the business-metric results: a new attempt starts. */
  void newAttempt() {
    metrics.reset();
  }

  /** Failed looks in a row; INCONCLUSIVE ones are skipped, not counted. */
  int consecutiveFailures() {
    return consecutiveFailures;
  }

  /** Ends the failure streak: the step stopped progressing. */
  void clearFailures() {
    consecutiveFailures = 0;
  }

  /** Takes the failure streak of a stored status: its own when progressing, else none. */
  void takeFailures(RolloutStatus s) {
    consecutiveFailures = s.state() == RolloutState.PROGRESSING ? s.consecutiveFailures() : 0;
  }

  /** INCONCLUSIVE looks since this analysis was built, in every state that judges. */
  long inconclusiveLooks() {
    return inconclusiveLooks;
  }
}
