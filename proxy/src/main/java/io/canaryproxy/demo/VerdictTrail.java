package io.canaryproxy.demo;

import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.analysis.RolloutEventListener;
import io.canaryproxy.analysis.Verdict;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Prints the rollout as it happens, for a person watching the demo: one line per verdict (the
 * outcome and every check with the statistic that decided it: the latency ratio and shift with
 * their intervals and tolerances, the tail shares, the error rates, the always-valid p-values) and
 * one line per rollout event. Register it with {@code CanaryProxy.addVerdictListener} and {@code
 * addRolloutListener}. A verdict that caused an event is printed once, before that event.
 */
public final class VerdictTrail implements RolloutEventListener, Consumer<Verdict> {
  private final PrintWriter out;
  private final long startNanos = System.nanoTime();
  private Verdict lastPrinted;

  public VerdictTrail(PrintWriter out) {
    this.out = out;
  }

  @Override
  public synchronized void accept(Verdict verdict) {
    if (verdict != lastPrinted) {
      print(verdictLine(verdict));
    }
    lastPrinted = null;
  }

  @Override
  public synchronized void onEvent(RolloutEvent event) {
    Verdict cause = event.verdict();
    if (cause != null && cause != lastPrinted) {
      print(verdictLine(cause));
      lastPrinted = cause;
    }
    if (event.type() != RolloutEvent.Type.VERDICT_FAILED) {
      print(eventLine(event));
    }
  }

  /**
   * One verdict as a line, without the time prefix: the outcome, then each check with the statistic
   * that decided it (the verdict's reason, which {@code VerdictText} writes).
   */
  static String verdictLine(Verdict v) {
    // an INCONCLUSIVE line prints the reason, which already says so
    String warmup =
        !v.warmup() || v.outcome() == Verdict.Outcome.INCONCLUSIVE
            ? ""
            : v.ignored() ? " [warm-up: not counted]" : " [warm-up: counted]";
    return String.format(Locale.ROOT, "verdict %-12s %s%s", v.outcome(), v.reason(), warmup);
  }

  /** One event as a line, without the time prefix. */
  static String eventLine(RolloutEvent e) {
    String what =
        switch (e.type()) {
          case ROLLED_BACK -> ">>> ROLLED BACK";
          case STEP_ADVANCED -> ">>> step advanced";
          case PROMOTED -> ">>> PROMOTED";
          default -> ">>> " + e.type().tag();
        };
    return String.format(
        Locale.ROOT,
        "%s: canary now %s%% of users (state %s, step %d)%s: %s",
        what,
        trim(e.canaryPercent()),
        e.state().jsonName(),
        e.step(),
        e.manual() ? ", by an operator" : "",
        e.reason());
  }

  private void print(String line) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    out.println(String.format(Locale.ROOT, "[%6.1fs] %s", seconds, line));
    out.flush();
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
