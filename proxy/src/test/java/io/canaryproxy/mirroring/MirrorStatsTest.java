package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.mirroring.MirrorStats.Part;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class MirrorStatsTest {
  private static final ComparisonResult MATCH =
      new ComparisonResult(true, true, ComparisonResult.Body.MATCH, "");
  private static final ComparisonResult STATUS_DIFF =
      new ComparisonResult(false, true, ComparisonResult.Body.MATCH, "status 200 vs 500");

  @Test
  void ringKeepsTheLastHundredMismatches() {
    MirrorStats stats = new MirrorStats(new AtomicInteger());
    for (int i = 0; i < 250; i++) {
      stats.compared(false, STATUS_DIFF, "GET", "/p" + i);
      stats.compared(false, MATCH, "GET", "/ok");
    }
    List<MirrorStats.MismatchSample> ring = stats.recentMismatches();
    assertThat(ring).hasSize(MirrorStats.RING_SIZE);
    assertThat(ring.get(0).path()).isEqualTo("/p150");
    assertThat(ring.get(99).path()).isEqualTo("/p249");
    assertThat(stats.compared()).isEqualTo(500);
    assertThat(stats.mismatches()).isEqualTo(250);
    assertThat(stats.comparisons(Part.STATUS, false, false)).isEqualTo(250);
    assertThat(stats.comparisons(Part.STATUS, true, false)).isEqualTo(250);
    assertThat(stats.comparisons(Part.BODY, true, false)).isEqualTo(500);
  }

  @Test
  void baselineIsCountedApart() {
    MirrorStats stats = new MirrorStats(new AtomicInteger());
    stats.compared(true, STATUS_DIFF, "GET", "/b");
    assertThat(stats.compared()).isZero();
    assertThat(stats.mismatches()).isZero();
    assertThat(stats.comparisons(Part.STATUS, false, true)).isEqualTo(1);
    assertThat(stats.recentMismatches())
        .singleElement()
        .extracting(MirrorStats.MismatchSample::baseline)
        .isEqualTo(true);
  }

  @Test
  @SuppressWarnings("unchecked")
  void snapshotAndMetersShowTheCounts() {
    AtomicInteger inFlight = new AtomicInteger(3);
    MirrorStats stats = new MirrorStats(inFlight);
    stats.count(Outcome.SENT);
    stats.count(Outcome.SENT);
    stats.count(Outcome.DROPPED_INFLIGHT);
    stats.compared(false, STATUS_DIFF, "POST", "/orders");
    Map<String, Object> snap = stats.snapshot();
    assertThat(snap.get("inFlight")).isEqualTo(3);
    assertThat((Map<String, Object>) snap.get("requests"))
        .containsEntry("sent", 2L)
        .containsEntry("dropped_inflight", 1L);
    Map<String, Object> comparisons = (Map<String, Object>) snap.get("comparisons");
    assertThat(comparisons).containsEntry("compared", 1L).containsEntry("mismatches", 1L);
    assertThat((Map<String, Object>) comparisons.get("status")).containsEntry("mismatch", 1L);
    List<Map<String, Object>> recent = (List<Map<String, Object>>) snap.get("recentMismatches");
    assertThat(recent)
        .singleElement()
        .satisfies(
            m -> {
              assertThat(m).containsEntry("method", "POST").containsEntry("path", "/orders");
              assertThat(m).containsEntry("differs", "status 200 vs 500");
            });

    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    stats.bindTo(registry);
    assertThat(
            registry
                .get("canary.proxy.mirror.requests")
                .tag("outcome", "sent")
                .functionCounter()
                .count())
        .isEqualTo(2.0);
    assertThat(
            registry
                .get("canary.proxy.mirror.comparisons")
                .tags("part", "status", "outcome", "mismatch")
                .functionCounter()
                .count())
        .isEqualTo(1.0);
    assertThat(registry.get("canary.proxy.mirror.inflight").gauge().value()).isEqualTo(3.0);
  }
}
