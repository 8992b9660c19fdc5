package io.canaryproxy.analysis;

import java.util.Objects;
import org.HdrHistogram.Histogram;

/**
 * What the judge looks at: one analysis interval as the metrics produce it, or (inside {@link
 * RolloutController}) the sum of the intervals since the step's observation began. Histograms are
 * in microseconds; the judge only reads them.
 *
 * @param stable the stable variant
 * @param canary the canary variant
 * @param mirror mirrored traffic, or {@code null} when mirroring is off
 */
public record JudgeInput(VariantSample stable, VariantSample canary, MirrorSample mirror) {

  public JudgeInput {
    Objects.requireNonNull(stable, "stable");
    Objects.requireNonNull(canary, "canary");
  }

  /**
   * One variant during the interval.
   *
   * @param latencyMicros latency of its requests, in microseconds; may hold fewer values than
   *     {@code requests} when failed requests are not timed
   * @param requests requests completed (successful or not)
   * @param errors 5xx responses plus upstream failures, at most {@code requests}
   */
  public record VariantSample(Histogram latencyMicros, long requests, long errors) {
    public VariantSample {
      Objects.requireNonNull(latencyMicros, "latencyMicros");
      if (requests < 0 || errors < 0 || errors > requests) {
        throw new IllegalArgumentException(
            "errors: " + errors + " (expected: 0.." + requests + ", requests: " + requests + ")");
      }
    }
  }

  /**
   * Mirrored (shadow) traffic during the interval.
   *
   * @param compared shadow responses compared with the primary's
   * @param mismatches compared responses that differed, at most {@code compared}
   * @param shadowLatencyMicros the shadow's latency in microseconds, or {@code null} when not
   *     recorded; used by the shadow gate
   * @param baseline the stable-vs-stable comparisons ({@code mirror.compare.stableBaseline}), or
   *     {@code null} when the baseline is off; with one, mismatches are judged as an excess over
   *     its rate
   */
  public record MirrorSample(
      long compared, long mismatches, Histogram shadowLatencyMicros, Baseline baseline) {

    /** Mirrored traffic without a stable baseline. */
    public MirrorSample(long compared, long mismatches, Histogram shadowLatencyMicros) {
      this(compared, mismatches, shadowLatencyMicros, null);
    }

    public MirrorSample {
      if (compared < 0 || mismatches < 0 || mismatches > compared) {
        throw new IllegalArgumentException(
            "mismatches: "
                + mismatches
                + " (expected: 0.."
                + compared
                + ", compared: "
                + compared
                + ")");
      }
    }
  }

  /**
   * Stable-vs-stable comparisons: the noise floor of the mirror comparison.
   *
   * @param compared baseline responses compared with the primary's
   * @param mismatches of those, the ones that differed, at most {@code compared}
   */
  public record Baseline(long compared, long mismatches) {
    public Baseline {
      if (compared < 0 || mismatches < 0 || mismatches > compared) {
        throw new IllegalArgumentException(
            "baseline mismatches: " + mismatches + " (expected: 0.." + compared + ")");
      }
    }
  }
}
