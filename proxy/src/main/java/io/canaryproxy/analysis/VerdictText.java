package io.canaryproxy.analysis;

import io.canaryproxy.analysis.Verdict.CheckResult;
import io.canaryproxy.analysis.Verdict.Evidence;
import io.canaryproxy.analysis.Verdict.LatencyCheck;
import io.canaryproxy.analysis.Verdict.RateCheck;
import io.canaryproxy.analysis.Verdict.TailCheck;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Writes a verdict's checks as one line, each with the statistic that decided it, its interval or
 * p-value, its tolerance and its result, so that a verdict never reads as contradicting its
 * numbers. Used in verdict reasons and by the demo's trail.
 */
public final class VerdictText {
  private VerdictText() {}

  /**
   * The checks of {@code e}, for example {@code latency 2.01x [1.90, 2.12] (max 1.20x), shift +10.1
   * ms [9.5, 10.8] (min 1.0 ms), p=3e-12: FAIL; ...}. Empty for evidence written before the checks
   * existed.
   */
  public static String checks(String comparison, Evidence e) {
    List<String> parts = new ArrayList<>();
    LatencyCheck l = e.latency();
    if (l != null && l.ratio() != null) {
      parts.add(
          format(
              "latency %.2fx [%.2f, %.2f] (max %.2fx), shift %+.2f ms [%+.2f, %+.2f] (min %.2f ms),"
                  + " p=%s: %s",
              l.ratio(),
              l.ratioLower(),
              l.ratioUpper(),
              l.maxRatio(),
              l.shiftMs(),
              l.shiftLowerMs(),
              l.shiftUpperMs(),
              l.minShiftMs(),
              p(l.pValue()),
              word(l.result(), true)));
    }
    TailCheck t = e.tail();
    if (t != null && t.thresholdMs() != null) {
      String deep = "";
      if (t.deep() != null) {
        TailCheck.Level d = t.deep();
        deep =
            format(
                ", %.2f%% above %.1f ms vs %.2f%% above p%s %.1f ms",
                d.canaryShare() * 100,
                d.toleratedMs(),
                d.stableShare() * 100,
                trim(d.percentile()),
                d.thresholdMs());
      }
      parts.add(
          format(
              "tail %.2f%% of %s above %.1f ms vs %.2f%% of stable above its p%s %.1f ms%s,"
                  + " p=%s: %s",
              t.canaryShare() * 100,
              comparison,
              t.toleratedMs(),
              t.stableShare() * 100,
              trim(e.percentile()),
              t.thresholdMs(),
              deep,
              p(t.pValue()),
              word(t.result(), false)));
    }
    RateCheck r = e.errors();
    if (r != null && r.rate() != null) {
      parts.add(
          format(
              "errors %.2f%% vs stable %.2f%% (max +%.2f pp), p=%s: %s",
              r.rate() * 100,
              r.referenceRate() * 100,
              r.tolerance() * 100,
              p(r.pValue()),
              word(r.result(), true)));
    }
    RateCheck m = e.mirror();
    if (m != null && m.rate() != null) {
      String against =
          m.referenceTrials() > 0
              ? format(
                  "baseline %.2f%% (%d/%d)",
                  m.referenceRate() * 100, m.referenceEvents(), m.referenceTrials())
              : m.result() == CheckResult.NO_DATA ? "no baseline data yet" : "0";
      parts.add(
          format(
              "mismatches %.2f%% (%d/%d) vs %s (max +%.2f pp), p=%s: %s",
              m.rate() * 100,
              m.events(),
              m.trials(),
              against,
              m.tolerance() * 100,
              p(m.pValue()),
              word(m.result(), false)));
    }
    if (parts.isEmpty()) {
      return "no data";
    }
    return String.join("; ", parts)
        + format(
            "; alpha %s per check, n=%d/%d", p(e.alpha()), e.stableRequests(), e.canaryRequests());
  }

  /** A guard that did not fail is "ok", not "pass": it never vouches for the canary. */
  private static String word(CheckResult r, boolean canPass) {
    return switch (r) {
      case FAIL -> "FAIL";
      case PASS -> "pass";
      case NO_DATA -> "no data";
      case UNDECIDED -> canPass ? "undecided" : "ok";
    };
  }

  private static String p(Double p) {
    return p == null ? "n/a" : format("%.2g", p);
  }

  private static String trim(double value) {
    return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
  }

  private static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
