package io.canaryproxy.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.StepSimulation.Canary;
import io.canaryproxy.analysis.StepSimulation.Result;
import io.canaryproxy.analysis.StepSimulation.Shape;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Calibration of the judge with its defaults: A/A steps, judged look after look on their
 * accumulated data, must stay within the false-alarm bound of 1 - confidence per step however many
 * looks they take; and a real but irrelevant 2% difference between two backends must not fail.
 */
class JudgeCalibrationTest {
  private static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
  private static final CanaryJudge JUDGE = new CanaryJudge(Samples.defaults(), CLOCK);

  /**
   * Steps per scenario and looks per step: 30 looks (5 minutes) with the stub, 60 (10 minutes, the
   * default {@code maxInconclusive}) with the heavy tail; 2 × 100 × 30 + 3 × 100 × 60 = 24,000
   * looks.
   */
  private static final int STEPS = 100;

  private static final int LOOKS = 30;

  private static final int HEAVY_LOOKS = 60;

  static Stream<Arguments> scenarios() {
    return Stream.of(
        Arguments.of(StepSimulation.STUB, 1.0, 0.0, 11L),
        Arguments.of(StepSimulation.HEAVY, 1.0, 0.01, 12L),
        Arguments.of(StepSimulation.STUB, 1.02, 0.01, 13L),
        Arguments.of(StepSimulation.HEAVY, 1.02, 0.0, 14L),
        // exactly at the tolerance (1.2x, 1% more errors): the null's boundary, where the bound is
        // tight; a PASS cannot be expected there
        Arguments.of(StepSimulation.HEAVY, 1.2, -0.01, 15L));
  }

  @ParameterizedTest(name = "[{index}] {0}, canary ×{1}, errors {2} (negative: canary only)")
  @MethodSource("scenarios")
  void aaStepsFailWithinTheBoundHoweverLongTheyRun(
      Shape shape, double scale, double errorRate, long seed) {
    Random rng = new Random(seed);
    int stepsFailed = 0;
    int looksFailed = 0;
    int rollbacks = 0;
    int passed = 0;
    int looks = shape == StepSimulation.HEAVY ? HEAVY_LOOKS : LOOKS;
    for (int step = 0; step < STEPS; step++) {
      // 300 req/s for 10 s per look, 10% to the canary
      Result r =
          StepSimulation.run(
              JUDGE,
              rng,
              shape,
              new Canary(scale, Math.abs(errorRate), 0, 0),
              Math.max(errorRate, 0),
              270,
              30,
              looks,
              false);
      stepsFailed += r.failLooks() > 0 ? 1 : 0;
      looksFailed += r.failLooks();
      rollbacks += r.rollbackLook() > 0 ? 1 : 0;
      passed += r.firstPassLook() > 0 ? 1 : 0;
    }
    // the bound is 1% of steps; 3 of 100 leaves room for sampling noise (P(X >= 4) < 2%)
    assertThat(stepsFailed).as("steps with any FAIL look").isLessThanOrEqualTo(3);
    assertThat(looksFailed).as("FAIL looks of %d", STEPS * looks).isLessThanOrEqualTo(30);
    assertThat(rollbacks).isLessThanOrEqualTo(1);
    if (scale < 1.1) {
      // every healthy step PASSES: the stub within 5 minutes (900 canary requests); the heavy tail
      // (σ=1, where a 20% tolerance is 0.18 σ) within 10 minutes (1,800 canary requests), since
      // an always-valid PASS at 99% needs about 1,300 canary requests to be sure of it there
      assertThat(passed).as("steps that reached a PASS within %d looks", looks).isEqualTo(STEPS);
    } else {
      // a PASS is always-valid too: a canary at its tolerance reaches one in at most 1% of steps
      assertThat(passed).as("steps at the tolerance that reached a PASS").isLessThanOrEqualTo(3);
    }
  }
}
