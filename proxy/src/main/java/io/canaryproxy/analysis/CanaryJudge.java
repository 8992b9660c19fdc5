package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict.CheckResult;
import io.canaryproxy.analysis.Verdict.Evidence;
import io.canaryproxy.analysis.Verdict.LatencyCheck;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.analysis.Verdict.RateCheck;
import io.canaryproxy.analysis.Verdict.TailCheck;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * Judges the canary against stable on the data since the step's observation began ({@link
 * RolloutController} accumulates it; every look sees all of it). Four checks, each with its
 * tolerance:
 *
 * <ul>
 *   <li>latency location: the canary/stable ratio and shift with their intervals ({@link
 *       LatencyComparison}); FAIL when both lower bounds exceed {@code 1 + tolerance} and {@code
 *       minShift}, PASS when one upper bound is below;
 *   <li>latency tail: the share of canary requests above stable's {@code percentile} (plus {@code
 *       tailTolerance}) against stable's share, and the same ten times further out (p99.9 for p99);
 *       a guard that can only FAIL;
 *   <li>errors ({@link RateComparison}): the canary's error rate in excess of stable's by more than
 *       the larger of {@code maxErrorIncrease} and {@code errorTolerance} × stable's rate; FAILs
 *       with confidence, and keeps a look from PASSING while the observed excess is above the
 *       tolerance (it reports "pass" once its always-valid upper bound is below the tolerance, but
 *       a look does not wait for that: showing a rate within one point of stable's at 99% takes at
 *       least 460 requests, too many at low traffic);
 *   <li>mirror: the mismatch rate in excess of the stable baseline's (or of 0 without one) by more
 *       than {@code maxMismatchRate}; a guard.
 * </ul>
 *
 * <p>FAIL uses always-valid p-values ({@link Statistics#alwaysValidPValue}) against α = (1 - {@code
 * confidence}) / number of checks, half for the step's whole evidence and half shared by its recent
 * windows ({@link RecentWindows}), so the chance that a canary within all tolerances ever FAILs
 * during a step stays below 1 - {@code confidence} however many looks the step takes. A look FAILs
 * when a check FAILs on at least min(30, {@code minRequests}) requests per side; it PASSES when no
 * check FAILs, both sides have {@code minRequests} requests, the canary's observed error excess is
 * within its tolerance and the latency check PASSES (an always-valid upper bound below its
 * tolerance, so a canary beyond it reaches a PASS during a step with probability at most 1 - {@code
 * confidence}); else it is INCONCLUSIVE. During warm-up (decided by the caller) the verdict is
 * marked {@link Verdict#warmup()}, and {@link Verdict#ignored()} unless the error or mismatch check
 * failed: a cold canary is slow, not wrong. Thread-safe and stateless apart from its configuration.
 */
public final class CanaryJudge {
  /** A FAIL needs at least this many requests per side (or {@code minRequests}, if smaller). */
  public static final long FAIL_FLOOR = 30;

  /**
   * The share of each check's error budget that the step's whole evidence gets; its recent windows
   * share the rest.
   */
  static final double WHOLE_SHARE = 0.5;

  private final AnalysisConfig config;
  private final double alphaPass;
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
    if (!(config.tolerance() >= 0)) {
      throw new IllegalArgumentException(
          "rollout.analysis.latency.tolerance: " + config.tolerance() + " (expected: >= 0)");
    }
    this.alphaPass = 1.0 - config.confidence();
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
    return evaluate("canary", in.stable(), in.canary(), in.mirror(), warmup, true, 1.0, "");
  }

  /**
   * Judges one arm of {@code routing.experiments} against stable with the checks of {@link
   * #judge(JudgeInput)} (no mirror); the verdict's text names the arm.
   */
  public Verdict judgeArm(String arm, VariantSample stable, VariantSample sample) {
    return evaluate(arm, stable, sample, null, false, true, 1.0, "");
  }

  /**
   * Judges a step as {@link RolloutController} does: its whole evidence at half of each check's
   * error budget, and each of its {@code recent} windows at its share of the other half ({@link
   * RecentWindows}). The look FAILs when the whole evidence or any window fails; otherwise the
   * whole evidence decides.
   */
  Verdict judge(JudgeInput whole, List<RecentWindows.Window> recent, boolean warmup) {
    return judgeStep(whole, recent, warmup, true);
  }

  /**
   * The same outcome as {@link #judge(JudgeInput)} without the latency intervals (their bisections
   * cost most of a look), for simulations that need only the decision.
   */
  Verdict decide(JudgeInput in) {
    return evaluate("canary", in.stable(), in.canary(), in.mirror(), false, false, 1.0, "");
  }

  /** The same outcome as {@link #judge(JudgeInput, List, boolean)}, without the intervals. */
  Verdict decide(JudgeInput whole, List<RecentWindows.Window> recent) {
    return judgeStep(whole, recent, false, false);
  }

  private Verdict judgeStep(
      JudgeInput whole, List<RecentWindows.Window> recent, boolean warmup, boolean bounds) {
    Verdict v =
        evaluate(
            "canary",
            whole.stable(),
            whole.canary(),
            whole.mirror(),
            warmup,
            bounds,
            WHOLE_SHARE,
            "");
    if (v.outcome() == Outcome.FAIL && !v.ignored()) {
      return v;
    }
    // newest first: the window with the least healthy data from before a change
    for (int i = recent.size() - 1; i >= 0; i--) {
      RecentWindows.Window w = recent.get(i);
      double share = (1 - WHOLE_SHARE) * w.weight();
      String scope = " in the last " + w.looks() + " looks";
      JudgeInput in = w.input();
      Verdict wv =
          evaluate("canary", in.stable(), in.canary(), in.mirror(), warmup, false, share, scope);
      if (wv.outcome() != Outcome.FAIL || (wv.ignored() && v.outcome() == Outcome.FAIL)) {
        continue;
      }
      if (bounds) {
        wv = evaluate("canary", in.stable(), in.canary(), in.mirror(), warmup, true, share, scope);
      }
      return new Verdict(
          Outcome.FAIL,
          wv.at(),
          wv.comparison(),
          wv.reason() + "; whole step: " + VerdictText.checks("canary", v.evidence()),
          v.evidence(),
          warmup,
          wv.ignored(),
          new Verdict.Window(w.looks(), wv.evidence()));
    }
    return v;
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
      return evaluate("shadow", in.stable(), none, mirror, warmup, true, 1.0, "");
    }
    return evaluate(
        "shadow",
        in.stable(),
        new VariantSample(shadow, shadow.getTotalCount(), 0),
        mirror,
        warmup,
        true,
        1.0,
        "");
  }

  private Verdict evaluate(
      String comparison,
      VariantSample stable,
      VariantSample canary,
      MirrorSample mirror,
      boolean warmup,
      boolean bounds,
      double share,
      String scope) {
    Histogram sh = stable.latencyMicros();
    Histogram ch = canary.latencyMicros();
    boolean latencyData = sh.getTotalCount() > 0 && ch.getTotalCount() > 0;
    double alpha = share * (1.0 - config.confidence()) / (mirror == null ? 3 : 4);
    long failFloor = Math.min(FAIL_FLOOR, config.minRequests());
    double minShift = config.minShift().toNanos() / 1000.0;

    LatencyCheck latency =
        LatencyComparison.location(
            sh, ch, config.tolerance(), minShift, failFloor, alpha, alphaPass, bounds);
    TailCheck tail =
        LatencyComparison.tail(
            sh, ch, config.percentile(), 1 + config.tailTolerance(), minShift, failFloor, alpha);
    double errorTolerance = RateComparison.errorTolerance(config, stable);
    RateCheck errors =
        RateComparison.errors(canary, stable, errorTolerance, failFloor, alpha, alphaPass);
    RateCheck mirrorCheck =
        mirror == null
            ? null
            : RateComparison.mirror(mirror, config.maxMismatchRate(), failFloor, alpha);

    Double stableTail = latencyData ? millis(sh.getValueAtPercentile(config.percentile())) : null;
    Double canaryTail = latencyData ? millis(ch.getValueAtPercentile(config.percentile())) : null;
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
            latencyData && stableTail > 0 ? canaryTail / stableTail : null,
            latency.pValue(),
            rate(stable.errors(), stable.requests()),
            rate(canary.errors(), canary.requests()),
            errors.pValue(),
            mirror == null ? 0 : mirror.compared(),
            mirror == null ? 0 : mirror.mismatches(),
            mirror == null ? null : rate(mirror.mismatches(), mirror.compared()),
            alpha,
            latency,
            tail,
            errors,
            mirrorCheck);

    String numbers = VerdictText.checks(comparison, evidence);
    boolean latencyFailed = latency.result() == CheckResult.FAIL;
    boolean tailFailed = tail.result() == CheckResult.FAIL;
    boolean errorsFailed = errors.result() == CheckResult.FAIL;
    boolean mirrorFailed = mirrorCheck != null && mirrorCheck.result() == CheckResult.FAIL;
    if (latencyFailed || tailFailed || errorsFailed || mirrorFailed) {
      List<String> failed = new ArrayList<>();
      if (latencyFailed) {
        failed.add("latency");
      }
      if (tailFailed) {
        failed.add("tail");
      }
      if (errorsFailed) {
        failed.add("errors");
      }
      if (mirrorFailed) {
        failed.add("mirror");
      }
      boolean latencyOnly = !errorsFailed && !mirrorFailed;
      String reason =
          "worse beyond tolerance (" + String.join(", ", failed) + ")" + scope + ": " + numbers;
      return verdict(Outcome.FAIL, comparison, reason, evidence, warmup, !latencyOnly);
    }
    if (stable.requests() < config.minRequests() || canary.requests() < config.minRequests()) {
      String reason =
          format(
              "too little data: stable %d, %s %d requests since the step began (minRequests: %d);"
                  + " %s",
              stable.requests(), comparison, canary.requests(), config.minRequests(), numbers);
      return verdict(Outcome.INCONCLUSIVE, comparison, reason, evidence, warmup, false);
    }
    if (RateComparison.errorsObservedBeyond(canary, stable, errorTolerance)) {
      String reason =
          "undecided: errors above stable's by more than the tolerance as observed (a PASS needs"
              + " them within it): "
              + numbers;
      return verdict(Outcome.INCONCLUSIVE, comparison, reason, evidence, warmup, false);
    }
    if (latency.result() == CheckResult.PASS) {
      return verdict(
          Outcome.PASS, comparison, "within tolerance: " + numbers, evidence, warmup, false);
    }
    return verdict(
        Outcome.INCONCLUSIVE, comparison, "undecided: " + numbers, evidence, warmup, false);
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
    return RateComparison.rate(events, trials);
  }

  private static double millis(long micros) {
    return micros / 1000.0;
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
