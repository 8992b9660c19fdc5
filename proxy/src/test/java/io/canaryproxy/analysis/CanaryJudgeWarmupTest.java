package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.Samples.lognormal;
import static io.canaryproxy.analysis.Samples.side;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.Verdict.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** During warm-up only the latency check is set aside; errors and mismatches still count. */
class CanaryJudgeWarmupTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  private final CanaryJudge judge = new CanaryJudge(Samples.defaults(), CLOCK);

  /**
   * One interval: the canary's latency scale, its errors out of 2000 requests (stable has none),
   * and mirror mismatches out of 400 compared.
   */
  private static JudgeInput input(double latencyScale, long canaryErrors, long mismatches) {
    Random rng = new Random(11);
    return new JudgeInput(
        side(lognormal(rng, 2000, 1.0), 0),
        side(lognormal(rng, 2000, latencyScale), canaryErrors),
        new MirrorSample(400, mismatches, null));
  }

  @ParameterizedTest(
      name = "[{index}] latency x{0}, {1} errors, {2} mismatches -> {3}, ignored {4}")
  @CsvSource({
    "1.0,  0,  0, PASS, true", // a PASS in warm-up does not count toward advancing
    "1.5,  0,  0, FAIL, true", // a cold canary is slow: set aside
    "1.0, 60,  0, FAIL, false", // 3% errors: broken, not cold
    "1.5, 60,  0, FAIL, false", // slow and broken: the errors count
    "1.0,  0, 80, FAIL, false", // 20% mismatches: wrong answers, not cold
  })
  void onlyALatencyFailureIsIgnoredDuringWarmup(
      double latencyScale, long errors, long mismatches, Outcome outcome, boolean ignored) {
    JudgeInput in = input(latencyScale, errors, mismatches);

    Verdict cold = judge.judge(in, true);
    Verdict warm = judge.judge(in, false);

    assertThat(cold.outcome()).as("warm-up does not change the judgement").isEqualTo(outcome);
    assertThat(warm.outcome()).isEqualTo(outcome);
    assertThat(cold.evidence()).isEqualTo(warm.evidence());
    assertThat(cold.warmup()).isTrue();
    assertThat(cold.ignored()).isEqualTo(ignored);
    assertThat(cold.reason())
        .isEqualTo(
            (ignored ? "warm-up, not counted: " : "warm-up, counted (not latency): ")
                + warm.reason());
    assertThat(warm.warmup()).isFalse();
    assertThat(warm.ignored()).as("nothing is ignored outside warm-up").isFalse();
  }

  @Test
  void tooLittleDataDuringWarmupIsInconclusiveAndIgnored() {
    Random rng = new Random(5);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 20, 1.0), 0), side(lognormal(rng, 20, 3.0), 0), null),
            true);

    assertThat(v.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
    assertThat(v.ignored()).isTrue();
    assertThat(v.reason()).startsWith("warm-up, not counted: too little data");
  }

  @Test
  void slowShadowDuringWarmupIsIgnored() {
    Random rng = new Random(9);
    JudgeInput in =
        new JudgeInput(
            side(lognormal(rng, 5000, 1.0), 0),
            side(Samples.newHistogram(), 0),
            new MirrorSample(500, 0, lognormal(rng, 5000, 1.5)));

    Verdict v = judge.judgeShadow(in, true);

    assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(v.comparison()).isEqualTo("shadow");
    assertThat(v.ignored()).isTrue();
  }

  @Test
  void warmupFlagsAreInTheJsonAndOldJsonWithoutThemReadsAsCounted() throws Exception {
    ObjectMapper mapper = new ObjectMapper();
    Verdict cold = judge.judge(input(1.5, 0, 0), true);

    JsonNode json = mapper.valueToTree(cold);
    assertThat(json.get("warmup").asBoolean()).isTrue();
    assertThat(json.get("ignored").asBoolean()).isTrue();
    assertThat(mapper.treeToValue(json, Verdict.class)).isEqualTo(cold);

    // a state file written before warm-up existed
    ((ObjectNode) json).remove(List.of("warmup", "ignored"));
    Verdict old = mapper.treeToValue(json, Verdict.class);
    assertThat(old.warmup()).isFalse();
    assertThat(old.ignored()).isFalse();
    assertThat(old.outcome()).isEqualTo(Outcome.FAIL);
  }
}
