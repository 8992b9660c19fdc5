package io.canaryproxy.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.StepSimulation.Canary;
import io.canaryproxy.analysis.StepSimulation.Result;
import io.canaryproxy.analysis.StepSimulation.Shape;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Power of the judge with its defaults (10 s looks, 10% of the traffic on the canary, {@code
 * failureThreshold: 3}): every simulated step of a regressed canary must reach a rollback within
 * the targets, counted in looks of 10 s.
 */
class JudgePowerTest {
  private static final Clock CLOCK = Clock.fixed(Instant.EPOCH, ZoneOffset.UTC);
  private static final CanaryJudge JUDGE = new CanaryJudge(Samples.defaults(), CLOCK);
  private static final int STEPS = 40;

  static Stream<Arguments> regressions() {
    Canary twiceSlower = new Canary(2, 0, 0, 0);
    Canary errors = new Canary(1, 0.05, 0, 0);
    Canary p99Only = new Canary(1, 0, 0.02, 200_000);
    return Stream.of(
        // name, shape, canary, total req/s, most looks to rollback
        Arguments.of("2x slower, 200 req/s", StepSimulation.STUB, twiceSlower, 200, 3),
        Arguments.of("2x slower, 20 req/s", StepSimulation.STUB, twiceSlower, 20, 18),
        Arguments.of("2x slower, 20 req/s, σ=1", StepSimulation.HEAVY, twiceSlower, 20, 18),
        Arguments.of("2x slower, 5 req/s", StepSimulation.STUB, twiceSlower, 5, 60),
        Arguments.of("+5% errors, 600 req/s", StepSimulation.STUB, errors, 600, 3),
        Arguments.of("+5% errors, 20 req/s", StepSimulation.STUB, errors, 20, 18),
        // the target: 2 minutes
        Arguments.of("p99-only, 200 req/s", StepSimulation.STUB, p99Only, 200, 12),
        Arguments.of("p99-only, 200 req/s, σ=1", StepSimulation.HEAVY, p99Only, 200, 15));
  }

  static Stream<Arguments> midStep() {
    Canary twiceSlower = new Canary(2, 0, 0, 0);
    Canary p99Only = new Canary(1, 0, 0.02, 200_000);
    Canary errors = new Canary(1, 0.05, 0, 0);
    return Stream.of(
        // name, shape, canary, total req/s, look of the change, most looks from it to rollback
        Arguments.of(
            "2x slower after 5 min, 200 req/s", StepSimulation.STUB, twiceSlower, 200, 31, 3),
        Arguments.of(
            "2x slower after 10 min, 20 req/s", StepSimulation.STUB, twiceSlower, 20, 61, 4),
        Arguments.of("p99-only after 5 min, 200 req/s", StepSimulation.STUB, p99Only, 200, 31, 6),
        Arguments.of("+5% errors after 5 min, 600 req/s", StepSimulation.STUB, errors, 600, 31, 4));
  }

  /**
   * A canary that turns bad in the middle of a long step: the healthy looks before the change must
   * not dilute it (the recent windows judge it beside the whole step). Counted from the look of the
   * change, that look included; {@code failureThreshold} 3 makes 3 the least possible.
   */
  @ParameterizedTest(name = "[{index}] {0}: 90% rolled back within {5} looks of the change")
  @MethodSource("midStep")
  void canaryThatDegradesMidStepIsRolledBackInTime(
      String name, Shape shape, Canary canary, int rate, int changeAt, int maxLooks) {
    Random rng = new Random(name.hashCode());
    int perLook = rate * 10;
    int canaryPerLook = perLook / 10;
    int[] looks = new int[STEPS];
    for (int step = 0; step < STEPS; step++) {
      Result r =
          StepSimulation.run(
              JUDGE,
              rng,
              shape,
              canary,
              changeAt,
              0,
              perLook - canaryPerLook,
              canaryPerLook,
              changeAt - 1 + maxLooks * 3,
              true);
      assertThat(r.rollbackLook()).as("no rollback before the change").isNotIn(range(changeAt));
      looks[step] = r.rollbackLook() < 0 ? -1 : r.rollbackLook() - changeAt + 1;
    }
    Arrays.sort(looks);
    assertThat(looks[0]).as("every step rolls back within 3 × %d looks", maxLooks).isPositive();
    assertThat(looks[STEPS * 9 / 10 - 1]).as("90th percentile").isLessThanOrEqualTo(maxLooks);
  }

  private static java.util.List<Integer> range(int changeAt) {
    return java.util.stream.IntStream.range(1, changeAt).boxed().toList();
  }

  @ParameterizedTest(name = "[{index}] {0}: 90% rolled back within {4} looks")
  @MethodSource("regressions")
  void regressedCanaryIsRolledBackInTime(
      String name, Shape shape, Canary canary, int rate, int maxLooks) {
    Random rng = new Random(name.hashCode());
    int perLook = rate * 10;
    int canaryPerLook = perLook / 10;
    int[] looks = new int[STEPS];
    for (int step = 0; step < STEPS; step++) {
      Result r =
          StepSimulation.run(
              JUDGE,
              rng,
              shape,
              canary,
              0,
              perLook - canaryPerLook,
              canaryPerLook,
              maxLooks * 3,
              true);
      looks[step] = r.rollbackLook();
    }
    Arrays.sort(looks);
    // -1 (none within 3 × the target) sorts first; the 90th percentile must meet the target
    assertThat(looks[0]).as("every step rolls back within 3 × %d looks", maxLooks).isPositive();
    assertThat(looks[STEPS * 9 / 10 - 1]).as("90th percentile").isLessThanOrEqualTo(maxLooks);
  }
}
