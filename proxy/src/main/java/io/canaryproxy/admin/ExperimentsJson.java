package io.canaryproxy.admin;

import io.canaryproxy.analysis.CanaryJudge;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import io.canaryproxy.metrics.ExperimentMetrics.ArmSample;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.Measure;
import io.canaryproxy.routing.Variant;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.HdrHistogram.Histogram;

/**
 * What {@code GET /admin/experiments} shows: stable and each arm of {@code routing.experiments}
 * since start (up to the last closed metrics interval), and each arm judged against stable with the
 * rollout's checks.
 */
public final class ExperimentsJson {
  private ExperimentsJson() {}

  /**
   * The handler.
   *
   * @param recorders stable's numbers since start
   * @param arms the live arms' numbers since start, in routing order
   * @param judge the judge (the rollout's analysis settings, else their defaults)
   */
  public static AdminHandler handler(
      LatencyRecorders recorders, Supplier<List<ArmSample>> arms, CanaryJudge judge) {
    return request -> {
      List<ArmSample> samples = arms.get();
      long requests = recorders.cumulativeRequests(Variant.STABLE);
      VariantSample stable =
          new VariantSample(
              recorders.cumulative(Variant.STABLE, Measure.TOTAL),
              requests,
              Math.min(requests, recorders.cumulativeErrors(Variant.STABLE)));
      return AdminResponse.json(200, render(stable, samples, judge));
    };
  }

  /** The JSON tree: {@code {"stable": {...}, "arms": {"NAME": {..., "verdict": {...}}}}}. */
  public static Map<String, Object> render(
      VariantSample stable, List<ArmSample> arms, CanaryJudge judge) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("stable", numbers(stable.latencyMicros(), stable.requests(), stable.errors()));
    Map<String, Object> byArm = new LinkedHashMap<>();
    for (ArmSample arm : arms) {
      Map<String, Object> m = numbers(arm.latencyMicros(), arm.requests(), arm.errors());
      Verdict v =
          judge.judgeArm(
              arm.name(),
              stable,
              new VariantSample(
                  arm.latencyMicros(), arm.requests(), Math.min(arm.errors(), arm.requests())));
      Map<String, Object> verdict = new LinkedHashMap<>();
      verdict.put("outcome", v.outcome().name());
      verdict.put("reason", v.reason());
      m.put("verdict", verdict);
      byArm.put(arm.name(), m);
    }
    out.put("arms", byArm);
    return out;
  }

  /**
   * The analysis settings arms are judged with: the rollout's, else the documented defaults of
   * {@code rollout.analysis}.
   */
  public static AnalysisConfig analysis(RolloutConfig rollout) {
    return rollout != null
        ? rollout.analysis()
        : new AnalysisConfig(Duration.ofSeconds(10), 200, 99, 1.2, 0.99, 0.01, 0.05, 3);
  }

  private static Map<String, Object> numbers(Histogram micros, long requests, long errors) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requests", requests);
    m.put("errors", errors);
    Map<String, Object> latency = new LinkedHashMap<>();
    for (double p : new double[] {50, 90, 99}) {
      latency.put(
          "p" + (int) p,
          micros.getTotalCount() == 0 ? 0.0 : micros.getValueAtPercentile(p) / 1000.0);
    }
    m.put("latencyMs", latency);
    return m;
  }
}
