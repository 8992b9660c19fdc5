package io.canaryproxy.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.analysis.Verdict.Evidence;
import io.canaryproxy.analysis.Verdict.Outcome;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class VerdictTrailTest {
  private final StringWriter text = new StringWriter();
  private final VerdictTrail trail = new VerdictTrail(new PrintWriter(text));

  private static Verdict verdict(Outcome outcome, double canaryP99) {
    Evidence e =
        new Evidence(
            500,
            1,
            60,
            3,
            99,
            10.0,
            11.0,
            20.0,
            canaryP99,
            canaryP99 / 20.0,
            1e-6,
            0.002,
            0.05,
            1e-4,
            0,
            0,
            null);
    return new Verdict(outcome, "2026-01-01T00:00:00Z", "canary", "reason", e);
  }

  private static RolloutEvent event(
      RolloutEvent.Type type, RolloutState state, double percent, Verdict cause) {
    return new RolloutEvent(
        type,
        "2026-01-01T00:00:00Z",
        state,
        RolloutState.PROGRESSING,
        percent,
        1,
        false,
        "2 consecutive failed intervals",
        cause);
  }

  private List<String> lines() {
    return Arrays.stream(text.toString().split("\n"))
        .map(l -> l.replaceFirst("^\\[ *[0-9.]+s\\] ", ""))
        .toList();
  }

  @Test
  void passingVerdictShowsBothTailsRatioPValueAndErrorRates() {
    trail.accept(verdict(Outcome.PASS, 22.0));

    assertThat(lines())
        .containsExactly(
            "verdict PASS         p99 stable 20.0 ms vs canary 22.0 ms (ratio 1.10, p=1.0e-06), "
                + "errors 0.20% vs 5.00%, n=500/60");
  }

  @ParameterizedTest(name = "[{index}] {0} ignored={1}")
  @CsvSource({
    "PASS, true,  ' [warm-up: not counted]'",
    "FAIL, true,  ' [warm-up: not counted]'",
    "FAIL, false, ' [warm-up: counted]'"
  })
  void warmupVerdictSaysWhetherItCounted(Outcome outcome, boolean ignored, String suffix) {
    Verdict v = verdict(outcome, 80.0);
    trail.accept(
        new Verdict(v.outcome(), v.at(), v.comparison(), v.reason(), v.evidence(), true, ignored));

    assertThat(lines())
        .singleElement()
        .asString()
        .startsWith("verdict " + outcome)
        .endsWith(suffix);
  }

  @Test
  void failedVerdictThatRollsBackIsPrintedOnceBeforeTheRollback() {
    Verdict first = verdict(Outcome.FAIL, 80.0);
    Verdict second = verdict(Outcome.FAIL, 90.0);
    // The controller emits verdictFailed (and then rolledBack) before the verdict listener hears of
    // the verdict.
    trail.onEvent(event(RolloutEvent.Type.VERDICT_FAILED, RolloutState.PROGRESSING, 25, first));
    trail.accept(first);
    trail.onEvent(event(RolloutEvent.Type.VERDICT_FAILED, RolloutState.PROGRESSING, 25, second));
    trail.onEvent(event(RolloutEvent.Type.ROLLED_BACK, RolloutState.ROLLED_BACK, 0, second));
    trail.accept(second);

    List<String> lines = lines();
    assertThat(lines).hasSize(3);
    assertThat(lines.get(0)).startsWith("verdict FAIL").contains("canary 80.0 ms (ratio 4.00");
    assertThat(lines.get(1)).startsWith("verdict FAIL").contains("canary 90.0 ms (ratio 4.50");
    assertThat(lines.get(2))
        .isEqualTo(
            ">>> ROLLED BACK: canary now 0% of users (state rolledBack, step 1): 2 consecutive failed intervals");
  }
}
