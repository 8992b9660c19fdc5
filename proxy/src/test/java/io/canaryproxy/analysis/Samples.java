package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import java.time.Duration;
import java.util.Random;
import org.HdrHistogram.Histogram;

/** Synthetic, seeded latency data for the analysis tests. */
final class Samples {
  /** Median 20 ms, log-sd 0.3: p99 is about 40 ms. */
  static final double MEDIAN_MICROS = 20_000;

  static final double LOG_SIGMA = 0.3;

  private Samples() {}

  /** The documented defaults of {@code rollout.analysis}. */
  static AnalysisConfig defaults() {
    return new AnalysisConfig(Duration.ofSeconds(10), 200, 99, 1.2, 0.99, 0.01, 0.05, 3);
  }

  /** The documented defaults, with {@code warmup}. */
  static AnalysisConfig defaults(Duration warmup) {
    AnalysisConfig d = defaults();
    return new AnalysisConfig(
        d.interval(),
        d.minRequests(),
        d.percentile(),
        d.maxRatio(),
        d.confidence(),
        d.maxErrorIncrease(),
        d.maxMismatchRate(),
        d.failureThreshold(),
        warmup);
  }

  static Histogram newHistogram() {
    return new Histogram(60_000_000L, 3);
  }

  /**
   * Records {@code n} lognormal latencies, multiplied by {@code scale}, into {@code h} (cleared
   * first).
   */
  static Histogram lognormal(Histogram h, Random rng, int n, double scale) {
    h.reset();
    for (int i = 0; i < n; i++) {
      double micros = MEDIAN_MICROS * Math.exp(LOG_SIGMA * rng.nextGaussian()) * scale;
      h.recordValue(Math.round(micros));
    }
    return h;
  }

  static Histogram lognormal(Random rng, int n, double scale) {
    return lognormal(newHistogram(), rng, n, scale);
  }

  static VariantSample side(Histogram latency, long errors) {
    return new VariantSample(latency, latency.getTotalCount(), errors);
  }
}
