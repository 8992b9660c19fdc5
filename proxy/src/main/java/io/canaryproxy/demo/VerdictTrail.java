package io.canaryproxy.demo;

import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.analysis.RolloutEventListener;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.analysis.Verdict.Evidence;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Prints the rollout as it happens, for a person watching the demo: one line per interval verdict
 * (outcome, the latency percentile of stable and canary, their ratio, the Mann-Whitney p-value,
 * both error rates) and one line per rollout event. Register it with {@code
 * CanaryProxy.addVerdictListener} and {@code addRolloutListener}. A verdict that caused an event is
 * printed once, before that event.
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

  /** One verdict as a line, without the time prefix. */
  static String verdictLine(Verdict v) {
    Evidence e = v.evidence();
    String pct = "p" + trim(e.percentile());
    String body =
        switch (v.outcome()) {
          case INCONCLUSIVE -> v.reason();
          default ->
              String.format(
                  Locale.ROOT,
                  "%s stable %s vs %s %s (ratio %s, p=%s), errors %s vs %s, n=%d/%d",
                  pct,
                  ms(e.stablePercentileMs()),
                  v.comparison(),
                  ms(e.canaryPercentileMs()),
                  e.latencyRatio() == null
                      ? "n/a"
                      : String.format(Locale.ROOT, "%.2f", e.latencyRatio()),
                  e.latencyPValue() == null
                      ? "n/a"
                      : String.format(Locale.ROOT, "%.2g", e.latencyPValue()),
                  percent(e.stableErrorRate()),
                  percent(e.canaryErrorRate()),
                  e.stableRequests(),
                  e.canaryRequests());
        };
    // an INCONCLUSIVE line prints the reason, which already says so
    String warmup =
        !v.warmup() || v.outcome() == Verdict.Outcome.INCONCLUSIVE
            ? ""
            : v.ignored() ? " [warm-up: not counted]" : " [warm-up: counted]";
    return String.format(Locale.ROOT, "verdict %-12s %s%s", v.outcome(), body, warmup);
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

  private static String ms(Double millis) {
    return millis == null ? "n/a" : String.format(Locale.ROOT, "%.1f ms", millis);
  }

  private static String percent(Double rate) {
    return rate == null ? "n/a" : String.format(Locale.ROOT, "%.2f%%", rate * 100);
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }
}
