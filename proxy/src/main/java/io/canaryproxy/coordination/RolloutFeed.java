package io.canaryproxy.coordination;

import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.metrics.IntervalSnapshot;
import io.canaryproxy.metrics.VariantInterval;
import io.canaryproxy.mirroring.MirrorStats;
import io.canaryproxy.routing.Variant;

/**
 * The metrics to judge feed: turns one metrics interval ({@link IntervalSnapshot}) into the judge's
 * {@link JudgeInput}. Histograms and request counts are per interval already; the mirror's
 * comparison counts are cumulative, so the feed hands on their change since its last call. Called
 * from one thread (the metrics scheduler's); not thread-safe.
 */
public final class RolloutFeed {
  private final MirrorStats mirror;
  private final boolean baselineOn;
  private long lastCompared;
  private long lastMismatches;
  private long lastBaselineCompared;
  private long lastBaselineMismatches;

  /**
   * @param mirror the mirroring counters, or {@code null} when mirroring is off
   * @param baselineOn whether the stable-vs-stable baseline is compared too
   */
  public RolloutFeed(MirrorStats mirror, boolean baselineOn) {
    this.mirror = mirror;
    this.baselineOn = mirror != null && baselineOn;
  }

  /** The judge's view of {@code snapshot}, the interval that just ended. */
  public JudgeInput next(IntervalSnapshot snapshot) {
    JudgeInput.MirrorSample sample = null;
    if (mirror != null) {
      long compared = mirror.compared();
      long mismatches = mirror.mismatches();
      JudgeInput.Baseline baseline = null;
      if (baselineOn) {
        long bc = mirror.baselineCompared();
        long bm = mirror.baselineMismatches();
        baseline = new JudgeInput.Baseline(bc - lastBaselineCompared, bm - lastBaselineMismatches);
        lastBaselineCompared = bc;
        lastBaselineMismatches = bm;
      }
      sample =
          new JudgeInput.MirrorSample(
              compared - lastCompared,
              mismatches - lastMismatches,
              snapshot.variant(Variant.SHADOW).total(),
              baseline);
      lastCompared = compared;
      lastMismatches = mismatches;
    }
    return new JudgeInput(
        sample(snapshot, Variant.STABLE), sample(snapshot, Variant.CANARY), sample);
  }

  private static JudgeInput.VariantSample sample(IntervalSnapshot snapshot, Variant variant) {
    VariantInterval v = snapshot.variants().get(variant);
    return new JudgeInput.VariantSample(v.total(), v.requests(), v.errors());
  }
}
