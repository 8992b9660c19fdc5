package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.RolloutFixture.ERRORS;
import static io.canaryproxy.analysis.RolloutFixture.HEALTHY;
import static io.canaryproxy.analysis.RolloutFixture.REGRESSED;
import static io.canaryproxy.analysis.RolloutFixture.SHADOW_OK;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.RolloutEvent.Type;
import io.canaryproxy.analysis.Verdict.Outcome;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * {@code rollout.analysis.warmup}: a cold canary's latency does not count for a while after it
 * starts receiving traffic. Intervals are 10 s, stepInterval 60 s, failureThreshold 3.
 */
class RolloutControllerWarmupTest {
  private static final List<Double> STEPS = List.of(1.0, 5.0, 25.0, 50.0, 100.0);
  private static final Duration MINUTE = Duration.ofSeconds(60);

  @TempDir Path dir;

  private RolloutFixture fixture(Duration warmup) {
    return new RolloutFixture(STEPS, dir.resolve("state.json"), false, warmup);
  }

  private static List<Verdict> verdicts(RolloutFixture f) {
    return f.controller.status().verdicts();
  }

  @ParameterizedTest(name = "[{index}] warmup {0}s: {1} ignored intervals, advances at {2}")
  @CsvSource({
    "0,  0, 6", // off: 60 s of passes, as without the key
    "30, 2, 9", // 10 s and 20 s are warm-up; the step interval runs from 30 s
    "60, 5, 12"
  })
  void passesDuringWarmupDoNotCountTowardAdvancing(
      int warmupSeconds, int ignored, int advancesAtInterval) {
    RolloutFixture f = fixture(Duration.ofSeconds(warmupSeconds));
    f.controller.start();

    for (int i = 1; i < advancesAtInterval; i++) {
      assertThat(f.interval(HEALTHY)).isEqualTo(Outcome.PASS);
    }
    assertThat(f.controller.status().step()).isZero();
    f.interval(HEALTHY);
    assertThat(f.controller.status().step()).isEqualTo(1);
    assertThat(f.percents).containsExactly(1.0, 5.0);

    List<Verdict> vs = verdicts(f);
    assertThat(vs).filteredOn(Verdict::warmup).hasSize(ignored).allMatch(Verdict::ignored);
    assertThat(vs.subList(0, ignored)).allMatch(Verdict::warmup);
    assertThat(vs.subList(ignored, vs.size())).noneMatch(Verdict::warmup);
  }

  @ParameterizedTest(name = "[{index}] warmup {0}s: 3 slow intervals -> {1}")
  @CsvSource({"0, ROLLED_BACK", "60, PROGRESSING"})
  void latencyFailuresDuringWarmupDoNotRollBack(int warmupSeconds, RolloutState expected) {
    RolloutFixture f = fixture(Duration.ofSeconds(warmupSeconds));
    f.controller.start();

    for (int i = 0; i < 3; i++) {
      assertThat(f.interval(REGRESSED)).as("still judged").isEqualTo(Outcome.FAIL);
    }

    assertThat(f.controller.status().state()).isEqualTo(expected);
    boolean warm = warmupSeconds > 0;
    assertThat(f.controller.status().consecutiveFailures()).isZero();
    assertThat(f.eventTypes().contains(Type.VERDICT_FAILED)).isEqualTo(!warm);
    assertThat(verdicts(f))
        .hasSize(3)
        .allMatch(v -> v.warmup() == warm && v.ignored() == warm)
        .allMatch(v -> v.reason().startsWith("warm-up, not counted: ") == warm);
  }

  @Test
  void theSameLatencyFailuresCountOnceTheWarmupIsOver() {
    RolloutFixture f = fixture(MINUTE);
    f.controller.start();
    for (int i = 0; i < 5; i++) {
      f.interval(REGRESSED); // 10..50 s: warm-up
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(f.percents).containsExactly(1.0);

    f.interval(REGRESSED); // 60 s: the warm-up is over
    f.interval(REGRESSED);
    assertThat(f.controller.status().consecutiveFailures()).isEqualTo(2);
    f.interval(REGRESSED);

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(f.percents).containsExactly(1.0, 0.0);
    assertThat(f.eventTypes())
        .containsExactly(
            Type.STARTED,
            Type.VERDICT_FAILED,
            Type.VERDICT_FAILED,
            Type.VERDICT_FAILED,
            Type.ROLLED_BACK);
  }

  @Test
  void errorRateFailuresCountEvenDuringWarmup() {
    RolloutFixture f = fixture(MINUTE);
    f.controller.start();

    for (int i = 0; i < 3; i++) {
      assertThat(f.interval(ERRORS)).isEqualTo(Outcome.FAIL);
    }

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(f.percents).containsExactly(1.0, 0.0);
    assertThat(verdicts(f))
        .allMatch(v -> v.warmup() && !v.ignored())
        .allMatch(
            v ->
                v.reason()
                    .startsWith("warm-up, counted (not latency): worse beyond tolerance (errors)"));
  }

  @Test
  void aStepChangeStartsNoWarmup() {
    RolloutFixture f = fixture(MINUTE);
    f.controller.start();
    for (int i = 0; i < 12; i++) {
      f.interval(HEALTHY);
    }
    assertThat(f.controller.status().canaryPercent()).isEqualTo(5.0);

    for (int i = 0; i < 3; i++) {
      f.interval(REGRESSED);
    }

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(verdicts(f).subList(12, 15)).noneMatch(Verdict::warmup);
  }

  @Test
  void resumeStartsAFreshWarmup() {
    RolloutFixture f = fixture(MINUTE);
    f.controller.start();
    for (int i = 0; i < 6; i++) {
      f.interval(HEALTHY); // 60 s: past the first warm-up
    }
    assertThat(f.controller.pause().ok()).isTrue();
    assertThat(f.controller.resume().ok()).isTrue();

    for (int i = 0; i < 3; i++) {
      f.interval(REGRESSED);
    }

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(verdicts(f).subList(6, 9)).allMatch(Verdict::ignored);
  }

  @Test
  void restartFromTheStateFileStartsAFreshWarmup() {
    RolloutFixture first = fixture(MINUTE);
    first.controller.start();
    first.controller.promote();
    for (int i = 0; i < 6; i++) {
      first.interval(HEALTHY);
    }
    assertThat(verdicts(first)).last().extracting(Verdict::warmup).isEqualTo(false);

    RolloutFixture restarted = fixture(MINUTE);
    restarted.controller.start();
    for (int i = 0; i < 3; i++) {
      restarted.interval(REGRESSED);
    }

    assertThat(restarted.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(restarted.controller.status().step()).isEqualTo(1);
    assertThat(restarted.percents).containsExactly(5.0);
  }

  @Test
  void leavingTheShadowGateStartsAFreshWarmup() {
    RolloutFixture f = new RolloutFixture(List.of(5.0, 100.0), dir.resolve("s.json"), true, MINUTE);
    f.controller.start();
    for (int i = 0; i < 11; i++) {
      f.interval(SHADOW_OK);
    }
    assertThat(f.controller.status().inShadowGate()).as("warm-up, then 60 s").isTrue();
    f.interval(SHADOW_OK);
    assertThat(f.percents).containsExactly(0.0, 5.0);

    // the canary gets its first users only now: cold
    for (int i = 0; i < 3; i++) {
      f.interval(REGRESSED);
    }

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(verdicts(f).subList(12, 15)).allMatch(Verdict::ignored);
  }
}
