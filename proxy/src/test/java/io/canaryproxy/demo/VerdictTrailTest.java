package io.canaryproxy.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.CanaryJudge;
import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.RolloutEvent;
import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.analysis.Verdict.Evidence;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.HdrHistogram.Histogram;
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
    return new Verdict(
        outcome, "2026-01-01T00:00:00Z", "canary", "canary p99 " + canaryP99 + " ms", e);
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
  void verdictLineShowsTheStatisticsThatDecidedIt() {
    Random rng = new Random(4);
    Histogram stable = new Histogram(60_000_000L, 3);
    Histogram canary = new Histogram(60_000_000L, 3);
    for (int i = 0; i < 4000; i++) {
      stable.recordValue(Math.round(10_000 * Math.exp(0.1 * rng.nextGaussian())));
    }
    for (int i = 0; i < 400; i++) {
      canary.recordValue(Math.round(20_000 * Math.exp(0.1 * rng.nextGaussian())));
    }
    CanaryJudge judge =
        new CanaryJudge(
            new AnalysisConfig(Duration.ofSeconds(10), 200, 99, 1.2, 0.99, 0.01, 0.05, 3),
            Clock.fixed(Instant.EPOCH, ZoneOffset.UTC));
    Verdict v =
        judge.judge(
            new JudgeInput(
                new VariantSample(stable, 4000, 0), new VariantSample(canary, 400, 40), null));

    trail.accept(v);

    assertThat(lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "verdict FAIL         worse beyond tolerance (latency, tail, errors): latency 1.99x"
                + " [1.95, 2.03] (max 1.20x), shift +9.91 ms [+9.56, +10.22] (min 1.00 ms),"
                + " p=2.5e-231: FAIL; tail 70.00% of canary above 18.9 ms vs 1.00% of stable above"
                + " its p99 12.6 ms, 48.00% above 20.1 ms vs 0.10% above p99.9 13.4 ms,"
                + " p=2.0e-196: FAIL; errors 10.00% vs stable 0.00% (max +1.00"
                + " pp), p=3.8e-68: FAIL; alpha 0.0033 per check, n=4000/400");
  }

  @Test
  void verdictLinePrintsTheReason() {
    trail.accept(verdict(Outcome.PASS, 22.0));

    assertThat(lines()).containsExactly("verdict PASS         canary p99 22.0 ms");
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
    assertThat(lines.get(0)).isEqualTo("verdict FAIL         canary p99 80.0 ms");
    assertThat(lines.get(1)).isEqualTo("verdict FAIL         canary p99 90.0 ms");
    assertThat(lines.get(2))
        .isEqualTo(
            ">>> ROLLED BACK: canary now 0% of users (state rolledBack, step 1): 2 consecutive failed intervals");
  }
}
