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
 * The PASS side of the judge with its defaults (10 s looks, 10% of the traffic on the canary): a
 * healthy canary at 20 req/s must reach a PASS within {@code stepInterval} (60 s) + 2 minutes, the
 * issue's target for advancing a step, and a canary whose errors exceed stable's by more than the
 * tolerance must not PASS, at low traffic too, where the error FAIL takes longer than a PASS would.
 */
class JudgePassTest {
  private static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
  private static final CanaryJudge JUDGE = new CanaryJudge(Samples.defaults(), CLOCK);
  private static final int STEPS = 100;

  /** 60 s + 2 min of 10 s looks. */
  private static final int TARGET_LOOKS = 18;

  static Stream<Arguments> healthy() {
    return Stream.of(
        // name, shape, stable error rate, canary error rate, total req/s, least steps that PASS;
        // with errors on both sides a PASS also waits for a look whose observed excess is within
        // the 1-point tolerance: at 200-360 canary requests one in ten looks or so is not, so a
        // few steps in a hundred are still undecided at 18 looks (98 and 97 in these seeds)
        Arguments.of("no errors, 20 req/s", StepSimulation.STUB, 0.0, 0.0, 20, 100),
        Arguments.of("1% errors on both, 20 req/s", StepSimulation.STUB, 0.01, 0.01, 20, 95),
        Arguments.of("2% errors on both, 20 req/s", StepSimulation.STUB, 0.02, 0.02, 20, 95),
        Arguments.of("no errors, 200 req/s", StepSimulation.STUB, 0.0, 0.0, 200, 100));
  }

  @ParameterizedTest(name = "[{index}] {0}: at least {5} of 100 steps PASS within 18 looks")
  @MethodSource("healthy")
  void healthyCanaryPassesWithinStepIntervalPlusTwoMinutes(
      String name, Shape shape, double stableErrors, double canaryErrors, int rate, int minPassed) {
    Random rng = new Random(name.hashCode());
    int passed = 0;
    int failed = 0;
    for (int step = 0; step < STEPS; step++) {
      Result r =
          StepSimulation.run(
              JUDGE,
              rng,
              shape,
              new Canary(1, canaryErrors, 0, 0),
              stableErrors,
              rate * 9,
              rate,
              TARGET_LOOKS,
              false);
      passed += r.firstPassLook() > 0 ? 1 : 0;
      failed += r.failLooks() > 0 ? 1 : 0;
    }
    assertThat(failed).as("steps with a FAIL look").isLessThanOrEqualTo(3);
    assertThat(passed)
        .as("steps with a PASS within %d looks", TARGET_LOOKS)
        .isGreaterThanOrEqualTo(minPassed);
  }

  static Stream<Arguments> beyondErrorTolerance() {
    return Stream.of(
        // name, stable error rate, canary error rate, total req/s, most steps that PASS within
        // 10 minutes (measured 27, 6, 33, 22; 100, 84, 100, 100 when errors only guarded a PASS);
        // the tolerance is 1 point
        Arguments.of("+2 points, 20 req/s", 0.0, 0.02, 20, 40),
        Arguments.of("+3 points, 20 req/s", 0.0, 0.03, 20, 12),
        Arguments.of("1% -> 3%, 20 req/s", 0.01, 0.03, 20, 45),
        Arguments.of("+2 points, 200 req/s", 0.0, 0.02, 200, 35));
  }

  /**
   * A canary whose observed error excess is beyond the tolerance does not PASS, however good its
   * latency: before that rule, every such step at 20 req/s PASSED (and so advanced) long before the
   * error check could FAIL it with confidence. Only the steps whose errors happened to look within
   * the tolerance at some look can PASS; they are bounded here.
   */
  @ParameterizedTest(name = "[{index}] {0}: at most {4} of 100 steps PASS within 60 looks")
  @MethodSource("beyondErrorTolerance")
  void canaryWithErrorsBeyondToleranceRarelyPasses(
      String name, double stableErrors, double canaryErrors, int rate, int maxPassed) {
    Random rng = new Random(name.hashCode());
    int passed = 0;
    for (int step = 0; step < STEPS; step++) {
      Result r =
          StepSimulation.run(
              JUDGE,
              rng,
              StepSimulation.STUB,
              new Canary(1, canaryErrors, 0, 0),
              stableErrors,
              rate * 9,
              rate,
              60,
              false);
      passed += r.firstPassLook() > 0 ? 1 : 0;
    }
    assertThat(passed).as("steps with a PASS within 60 looks").isLessThanOrEqualTo(maxPassed);
  }
}
