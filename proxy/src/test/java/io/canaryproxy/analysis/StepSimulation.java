package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict.Outcome;
import java.util.Random;
import org.HdrHistogram.Histogram;

/**
 * Simulates one rollout step look by look, from seeded synthetic traffic: each look adds one
 * interval of stable and canary requests to a {@link StepEvidence} and asks the judge for its
 * decision on the sum, as {@link RolloutController} does.
 */
final class StepSimulation {
  /**
   * A latency distribution: {@code medianMicros · exp(sigma · N(0,1))}.
   *
   * @param name shown in test names
   */
  record Shape(String name, double medianMicros, double sigma) {
    long draw(Random rng) {
      return Math.max(1, Math.round(medianMicros * Math.exp(sigma * rng.nextGaussian())));
    }
  }

  /** A 10 ms stub with a little jitter. */
  static final Shape STUB = new Shape("stub 10ms σ=0.1", 10_000, 0.1);

  /** A heavy-tailed backend: lognormal with σ=1 around 10 ms. */
  static final Shape HEAVY = new Shape("lognormal σ=1", 10_000, 1.0);

  /**
   * What the canary does differently from stable.
   *
   * @param scale latency multiplier (1: same)
   * @param errorRate canary error rate
   * @param slowShare share of canary requests that get {@code slowMicros} added (the p99-only case)
   * @param slowMicros added latency of those
   */
  record Canary(double scale, double errorRate, double slowShare, long slowMicros) {
    static Canary same() {
      return new Canary(1, 0, 0, 0);
    }
  }

  /**
   * The outcome of one simulated step.
   *
   * @param looks looks taken
   * @param failLooks looks judged FAIL
   * @param rollbackLook the look (1-based) at which {@code threshold} consecutive FAILs were
   *     reached, or -1
   * @param firstPassLook the first look (1-based) judged PASS, or -1
   */
  record Result(int looks, int failLooks, int rollbackLook, int firstPassLook) {}

  private StepSimulation() {}

  /**
   * Runs up to {@code maxLooks} looks of {@code stablePerLook} and {@code canaryPerLook} requests
   * (stable's error rate {@code stableErrorRate}); stops at a rollback when {@code stopAtRollback}.
   */
  static Result run(
      CanaryJudge judge,
      Random rng,
      Shape shape,
      Canary canary,
      double stableErrorRate,
      int stablePerLook,
      int canaryPerLook,
      int maxLooks,
      boolean stopAtRollback) {
    return run(
        judge,
        rng,
        shape,
        canary,
        1,
        stableErrorRate,
        stablePerLook,
        canaryPerLook,
        maxLooks,
        stopAtRollback);
  }

  /**
   * As {@link #run(CanaryJudge, Random, Shape, Canary, double, int, int, int, boolean)}, with a
   * canary like stable before look {@code changeAt} (1-based) and {@code canary} from it on.
   */
  static Result run(
      CanaryJudge judge,
      Random rng,
      Shape shape,
      Canary changed,
      int changeAt,
      double stableErrorRate,
      int stablePerLook,
      int canaryPerLook,
      int maxLooks,
      boolean stopAtRollback) {
    int threshold = judge.config().failureThreshold();
    StepEvidence evidence = new StepEvidence();
    evidence.reset(false);
    Histogram s = new Histogram(60_000_000L, 3);
    Histogram c = new Histogram(60_000_000L, 3);
    int fails = 0;
    int consecutive = 0;
    int rollback = -1;
    int firstPass = -1;
    int look = 0;
    while (look < maxLooks) {
      look++;
      Canary canary = look >= changeAt ? changed : Canary.same();
      s.reset();
      c.reset();
      long stableErrors = 0;
      for (int i = 0; i < stablePerLook; i++) {
        s.recordValue(shape.draw(rng));
        stableErrors += rng.nextDouble() < stableErrorRate ? 1 : 0;
      }
      long canaryErrors = 0;
      for (int i = 0; i < canaryPerLook; i++) {
        double v = shape.draw(rng) * canary.scale();
        if (rng.nextDouble() < canary.slowShare()) {
          v += canary.slowMicros();
        }
        c.recordValue(Math.round(v));
        canaryErrors += rng.nextDouble() < canary.errorRate() ? 1 : 0;
      }
      JudgeInput sum =
          evidence.add(
              new JudgeInput(
                  new VariantSample(s, stablePerLook, stableErrors),
                  new VariantSample(c, canaryPerLook, canaryErrors),
                  null),
              false);
      Outcome outcome = judge.decide(sum, evidence.recent()).outcome();
      if (outcome == Outcome.FAIL) {
        fails++;
        consecutive++;
      } else if (outcome == Outcome.PASS) {
        consecutive = 0;
        if (firstPass < 0) {
          firstPass = look;
        }
      }
      if (consecutive >= threshold && rollback < 0) {
        rollback = look;
        if (stopAtRollback) {
          break;
        }
      }
    }
    return new Result(look, fails, rollback, firstPass);
  }
}
