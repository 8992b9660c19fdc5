package io.canaryproxy.analysis;

import io.canaryproxy.analysis.Verdict.Outcome;
import java.util.List;

/**
 * The one place where business-metric results join the judge's verdict. A FAILed metric makes the
 * verdict FAIL, counted even during warm-up (like the error check, it is not a cold-start
 * artefact); otherwise a metric without a value turns a PASS into INCONCLUSIVE, never a silent
 * PASS; a FAIL or INCONCLUSIVE of the judge stays as it is. The shadow gate's verdicts are left
 * alone: the canary has no traffic to measure then.
 */
public final class MetricChecks {
  private MetricChecks() {}

  /** {@code judged} with {@code results} taken into account and listed in it. */
  public static Verdict combine(Verdict judged, List<MetricResult> results) {
    if (results.isEmpty() || !"canary".equals(judged.comparison())) {
      return judged;
    }
    MetricResult failed = first(results, Outcome.FAIL);
    MetricResult unknown = first(results, Outcome.INCONCLUSIVE);
    Outcome outcome = judged.outcome();
    String reason = judged.reason();
    boolean ignored = judged.ignored();
    if (failed != null) {
      reason =
          judged.outcome() == Outcome.FAIL && !judged.ignored()
              ? reason + "; metric " + failed.reason()
              : "metric " + failed.reason() + "; judge: " + reason;
      outcome = Outcome.FAIL;
      ignored = false;
    } else if (unknown != null && outcome == Outcome.PASS) {
      outcome = Outcome.INCONCLUSIVE;
      reason = "metric " + unknown.reason() + "; judge: " + reason;
    }
    return new Verdict(
        outcome,
        judged.at(),
        judged.comparison(),
        reason,
        judged.evidence(),
        judged.warmup(),
        ignored,
        judged.recent(),
        results);
  }

  private static MetricResult first(List<MetricResult> results, Outcome outcome) {
    for (MetricResult r : results) {
      if (r.outcome() == outcome) {
        return r;
      }
    }
    return null;
  }
}
