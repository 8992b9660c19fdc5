package io.canaryproxy.analysis;

import io.canaryproxy.analysis.JudgeInput.Baseline;
import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import java.util.List;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.PackedHistogram;

/**
 * The evidence of the current step, for {@link StepAnalysis}: the sum of every interval's
 * histograms and counts since the step's observation began, or since the warm-up ended (a warm-up
 * keeps its own sum, which is dropped when it ends). The judge looks at the whole sum each
 * interval, so a lucky interval cannot undo what the step has shown; its {@link #recent() recent
 * windows} are judged beside it, so a healthy start cannot hide a later regression either. Not
 * thread-safe: the controller guards it.
 */
final class StepEvidence {
  /** The step's recent windows, or null in a plain running sum (a window's own). */
  private final RecentWindows recent;

  private Side stable = new Side();
  private Side canary = new Side();
  private Histogram shadow;
  private boolean mirrored;
  private long compared;
  private long mismatches;
  private boolean baselineOn;
  private long baselineCompared;
  private long baselineMismatches;
  private boolean warmup;

  /** A step's evidence, with its recent windows. */
  StepEvidence() {
    this(true);
  }

  private StepEvidence(boolean withWindows) {
    this.recent = withWindows ? new RecentWindows() : null;
  }

  /** A running sum without recent windows. */
  static StepEvidence plain() {
    return new StepEvidence(false);
  }

  /**
   * The recent windows after the last {@link #add}, oldest first: empty during a step's first
   * block, and always in a plain sum.
   */
  List<RecentWindows.Window> recent() {
    return recent == null ? List.of() : recent.windows();
  }

  /**
   * Drops everything; the next interval starts a new sum, judged as warm-up when {@code warmup}.
   */
  void reset(boolean warmup) {
    stable = new Side();
    canary = new Side();
    shadow = null;
    mirrored = false;
    compared = 0;
    mismatches = 0;
    baselineOn = false;
    baselineCompared = 0;
    baselineMismatches = 0;
    this.warmup = warmup;
    if (recent != null) {
      recent.reset();
    }
  }

  /** Adds one interval judged in (or out of) warm-up, dropping the sum when the phase changed. */
  JudgeInput add(JudgeInput in, boolean warmupNow) {
    if (warmupNow != warmup) {
      reset(warmupNow);
    }
    if (recent != null) {
      recent.add(in);
    }
    stable.add(in.stable());
    canary.add(in.canary());
    MirrorSample m = in.mirror();
    if (m != null) {
      mirrored = true;
      compared += m.compared();
      mismatches += m.mismatches();
      if (m.shadowLatencyMicros() != null) {
        shadow = sum(shadow, m.shadowLatencyMicros());
      }
      if (m.baseline() != null) {
        baselineOn = true;
        baselineCompared += m.baseline().compared();
        baselineMismatches += m.baseline().mismatches();
      }
    }
    MirrorSample mirror =
        mirrored
            ? new MirrorSample(
                compared,
                mismatches,
                shadow,
                baselineOn ? new Baseline(baselineCompared, baselineMismatches) : null)
            : null;
    return new JudgeInput(stable.sample(), canary.sample(), mirror);
  }

  private static Histogram sum(Histogram into, Histogram add) {
    Histogram h = into;
    if (h == null) {
      // Packed: a sum lives as long as its step or recent window (minutes, so it is promoted) and
      // its memory then follows the populated buckets, not the range up to the largest value.
      h = new PackedHistogram(add.getNumberOfSignificantValueDigits());
    }
    h.add(add);
    return h;
  }

  /** One variant's running sum. */
  private static final class Side {
    private Histogram latency;
    private long requests;
    private long errors;

    void add(VariantSample s) {
      latency = sum(latency, s.latencyMicros());
      requests += s.requests();
      errors += s.errors();
    }

    VariantSample sample() {
      return new VariantSample(latency == null ? new Histogram(3) : latency, requests, errors);
    }
  }
}
