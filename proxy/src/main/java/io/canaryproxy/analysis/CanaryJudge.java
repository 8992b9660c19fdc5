package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict.Evidence;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * Judges one analysis interval of the canary against stable. An interval FAILS when any of these
 * holds, and PASSES otherwise:
 *
 * <ul>
 *   <li>latency: the one-sided Mann-Whitney test (canary slower) has p &lt; 1 - {@code confidence}
 *       AND the canary/stable ratio at {@code percentile} exceeds {@code maxRatio} (significant and
 *       large, as Kayenta requires);
 *   <li>errors: the one-sided two-proportion z-test (canary worse) has p &lt; 1 - {@code
 *       confidence} AND the canary error rate exceeds stable's by more than {@code
 *       maxErrorIncrease};
 *   <li>mirror: when responses were compared, the mismatch rate exceeds {@code maxMismatchRate}.
 * </ul>
 *
 * <p>With fewer than {@code minRequests} requests on either side the interval is INCONCLUSIVE,
 * never FAIL. During warm-up ({@code rollout.analysis.warmup}, decided by the caller) the verdict
 * is the same but marked {@link Verdict#warmup()}, and {@link Verdict#ignored()} unless the
 * error-rate or mismatch check failed: a cold canary is slow, not wrong. Thread-safe and stateless
 * apart from its configuration.
 */
public final class CanaryJudge {
  private final AnalysisConfig config;
  private final double alpha;
  private final Clock clock;

  /** A judge for {@code config} that stamps verdicts with {@code clock}. */
  public CanaryJudge(AnalysisConfig config, Clock clock) {
    this.config = Objects.requireNonNull(config, "config");
    this.clock = Objects.requireNonNull(clock, "clock");
    if (!(config.confidence() > 0 && config.confidence() < 1)) {
      throw new IllegalArgumentException(
          "rollout.analysis.confidence: " + config.confidence() + " (expected: 0..1 exclusive)");
    }
    if (!(config.percentile() > 0 && config.percentile() < 100)) {
      throw new IllegalArgumentException(
          "rollout.analysis.percentile: " + config.percentile() + " (expected: 0..100 exclusive)");
    }
    this.alpha = 1.0 - config.confidence();
  }

  /** The configuration this judge applies. */
  public AnalysisConfig config() {
    return config;
  }

  /**
   * Judges the canary against stable, including the mirror mismatch rate when the input carries
   * one.
   */
  public Verdict judge(JudgeInput in) {
    return judge(in, false);
  }

  /**
   * Judges the canary against stable as {@link #judge(JudgeInput)}; with {@code warmup}, the
   * verdict is marked as judged during warm-up and ignored unless errors or mismatches failed.
   */
  public Verdict judge(JudgeInput in, boolean warmup) {
    return evaluate("canary", in.stable(), in.canary(), in.mirror(), warmup);
  }

  /**
   * Judges the shadow against stable, for the shadow gate: the shadow's latency histogram plays the
   * canary and the mismatch rate applies as in {@link #judge}. INCONCLUSIVE when the input has no
   * shadow latency.
   */
  public Verdict judgeShadow(JudgeInput in) {
    return judgeShadow(in, false);
  }

  /**
   * Judges the shadow against stable as {@link #judgeShadow(JudgeInput)}, with warm-up as in {@link
   * #judge(JudgeInput, boolean)}.
   */
  public Verdict judgeShadow(JudgeInput in, boolean warmup) {
    MirrorSample mirror = in.mirror();
    Histogram shadow = mirror == null ? null : mirror.shadowLatencyMicros();
    if (shadow == null) {
      VariantSample none = new VariantSample(new Histogram(2), 0, 0);
      return evaluate("shadow", in.stable(), none, mirror, warmup);
    }
    return evaluate(
        "shadow",
        in.stable(),
        new VariantSample(shadow, shadow.getTotalCount(), 0),
        mirror,
        warmup);
  }

  private Verdict evaluate(
      String comparison,
      VariantSample stable,
      VariantSample canary,
      MirrorSample mirror,
      boolean warmup) {
    Histogram sh = stable.latencyMicros();
    Histogram ch = canary.latencyMicros();
    boolean latencyData = sh.getTotalCount() > 0 && ch.getTotalCount() > 0;
    Double stableTail = latencyData ? millis(sh.getValueAtPercentile(config.percentile())) : null;
    Double canaryTail = latencyData ? millis(ch.getValueAtPercentile(config.percentile())) : null;
    Double ratio = latencyData && stableTail > 0 ? canaryTail / stableTail : null;
    Double latencyP = latencyData ? HistogramMannWhitney.greater(sh, ch).pValue() : null;

    Double stableRate = rate(stable.errors(), stable.requests());
    Double canaryRate = rate(canary.errors(), canary.requests());
    boolean errorData = stableRate != null && canaryRate != null;
    Double errorP =
        errorData
            ? Statistics.twoProportionUpperPValue(
                stable.errors(), stable.requests(), canary.errors(), canary.requests())
            : null;

    long compared = mirror == null ? 0 : mirror.compared();
    long mismatches = mirror == null ? 0 : mirror.mismatches();
    Double mismatchRate = rate(mismatches, compared);

    Evidence evidence =
        new Evidence(
            stable.requests(),
            stable.errors(),
            canary.requests(),
            canary.errors(),
            config.percentile(),
            latencyData ? millis(sh.getValueAtPercentile(50)) : null,
            latencyData ? millis(ch.getValueAtPercentile(50)) : null,
            stableTail,
            canaryTail,
            ratio,
            latencyP,
            stableRate,
            canaryRate,
            errorP,
            compared,
            mismatches,
            mismatchRate);

    if (stable.requests() < config.minRequests() || canary.requests() < config.minRequests()) {
      String reason =
          format(
              "too little data: stable %d, %s %d requests (minRequests: %d)",
              stable.requests(), comparison, canary.requests(), config.minRequests());
      return verdict(Outcome.INCONCLUSIVE, comparison, reason, evidence, warmup, false);
    }

    List<String> failures = new ArrayList<>();
    String pct = "p" + trim(config.percentile());
    boolean latencyFailed =
        latencyP != null && ratio != null && latencyP < alpha && ratio > config.maxRatio();
    if (latencyFailed) {
      failures.add(
          format(
              "%s %s %.3f ms is %.2fx stable's %.3f ms (max %.2fx), Mann-Whitney p=%.2g",
              comparison, pct, canaryTail, ratio, stableTail, config.maxRatio(), latencyP));
    }
    if (errorP != null && errorP < alpha && canaryRate - stableRate > config.maxErrorIncrease()) {
      failures.add(
          format(
              "%s error rate %.4f vs stable %.4f (max increase %.4f), z-test p=%.2g",
              comparison, canaryRate, stableRate, config.maxErrorIncrease(), errorP));
    }
    if (mismatchRate != null && mismatchRate > config.maxMismatchRate()) {
      failures.add(
          format(
              "mirror mismatch rate %.4f (%d/%d) above %.4f",
              mismatchRate, mismatches, compared, config.maxMismatchRate()));
    }
    if (!failures.isEmpty()) {
      boolean latencyOnly = failures.size() == 1 && latencyFailed;
      return verdict(
          Outcome.FAIL, comparison, String.join("; ", failures), evidence, warmup, !latencyOnly);
    }
    String reason =
        format(
            "no regression: %s ratio %s (p=%s), error rate %s vs %s (p=%s)%s",
            pct,
            ratio == null ? "n/a" : format("%.2f", ratio),
            latencyP == null ? "n/a" : format("%.2g", latencyP),
            canaryRate == null ? "n/a" : format("%.4f", canaryRate),
            stableRate == null ? "n/a" : format("%.4f", stableRate),
            errorP == null ? "n/a" : format("%.2g", errorP),
            mismatchRate == null ? "" : format(", mismatch rate %.4f", mismatchRate));
    return verdict(Outcome.PASS, comparison, reason, evidence, warmup, false);
  }

  /**
   * {@code countsInWarmup}: whether the outcome still counts during warm-up (a FAIL of a check
   * other than latency).
   */
  private Verdict verdict(
      Outcome outcome,
      String comparison,
      String reason,
      Evidence evidence,
      boolean warmup,
      boolean countsInWarmup) {
    boolean ignored = warmup && !countsInWarmup;
    String prefix =
        !warmup ? "" : ignored ? "warm-up, not counted: " : "warm-up, counted (not latency): ";
    return new Verdict(
        outcome,
        clock.instant().toString(),
        comparison,
        prefix + reason,
        evidence,
        warmup,
        ignored);
  }

  private static Double rate(long events, long trials) {
    return trials > 0 ? (double) events / trials : null;
  }

  private static double millis(long micros) {
    return micros / 1000.0;
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
