package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.Samples.lognormal;
import static io.canaryproxy.analysis.Samples.side;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import io.canaryproxy.analysis.Verdict.Outcome;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CanaryJudgeTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);
  private final CanaryJudge judge = new CanaryJudge(Samples.defaults(), CLOCK);

  @Test
  void sameDistributionPasses() {
    Random rng = new Random(42);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 2000, 1.0), 0), side(lognormal(rng, 2000, 1.0), 0), null));

    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
    assertThat(v.at()).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(v.evidence().latencyRatio()).isBetween(0.85, 1.15);
    assertThat(v.evidence().stableP50Ms()).isCloseTo(20.0, within(1.0));
  }

  @Test
  void canaryThirtyPercentSlowerFails() {
    Random rng = new Random(7);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 5000, 1.0), 0), side(lognormal(rng, 5000, 1.3), 0), null));

    assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(v.evidence().latencyRatio()).isCloseTo(1.3, within(0.1));
    assertThat(v.evidence().latencyPValue()).isLessThan(0.01);
    assertThat(v.reason()).contains("p99").contains("Mann-Whitney");
  }

  @Test
  void significantButSmallSlowdownPasses() {
    // 5% slower is detectable with 20,000 samples, but below maxRatio: both conditions are needed
    // to fail.
    Random rng = new Random(3);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 20_000, 1.0), 0), side(lognormal(rng, 20_000, 1.05), 0), null));

    assertThat(v.evidence().latencyPValue()).isLessThan(0.01);
    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
  }

  @ParameterizedTest(name = "[{index}] stable {0}, canary {1} requests")
  @CsvSource({"199, 5000", "5000, 199", "0, 0", "10, 10"})
  void tooLittleDataIsInconclusiveEvenWhenClearlyWorse(int stableN, int canaryN) {
    Random rng = new Random(5);
    Histogram stable = lognormal(rng, stableN, 1.0);
    Histogram canary = lognormal(rng, canaryN, 3.0);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(stable, 0),
                new VariantSample(canary, canaryN, canaryN / 2),
                new MirrorSample(10, 10, null)));

    assertThat(v.outcome()).isEqualTo(Outcome.INCONCLUSIVE);
    assertThat(v.reason()).contains("too little data");
  }

  @Test
  void aaFalseFailRateIsAtMostOnePercentAndMannWhitneyIsCalibrated() {
    Random rng = new Random(2024);
    Histogram a = Samples.newHistogram();
    Histogram b = Samples.newHistogram();
    int fails = 0;
    int significant = 0;
    int belowHalf = 0;
    for (int run = 0; run < 1000; run++) {
      Verdict v =
          judge.judge(
              new JudgeInput(
                  side(lognormal(a, rng, 2000, 1.0), 10),
                  side(lognormal(b, rng, 2000, 1.0), 10),
                  null));
      fails += v.outcome() == Outcome.FAIL ? 1 : 0;
      significant += v.evidence().latencyPValue() < 0.01 ? 1 : 0;
      belowHalf += v.evidence().latencyPValue() < 0.5 ? 1 : 0;
    }
    assertThat(fails).isLessThanOrEqualTo(10);
    // Under H0 the p-value is uniform: about 1% below 0.01 and half below 0.5.
    assertThat(significant).isLessThanOrEqualTo(25);
    assertThat(belowHalf).isBetween(450, 550);
  }

  @Test
  void fiftyPercentRegressionIsDetectedWithinThresholdPlusOneIntervals() {
    int threshold = Samples.defaults().failureThreshold();
    Random rng = new Random(99);
    Histogram a = Samples.newHistogram();
    Histogram b = Samples.newHistogram();
    int detected = 0;
    for (int run = 0; run < 1000; run++) {
      int consecutive = 0;
      for (int interval = 0; interval < threshold + 1 && consecutive < threshold; interval++) {
        Verdict v =
            judge.judge(
                new JudgeInput(
                    side(lognormal(a, rng, 2000, 1.0), 0),
                    side(lognormal(b, rng, 2000, 1.5), 0),
                    null));
        consecutive = v.outcome() == Outcome.FAIL ? consecutive + 1 : 0;
      }
      detected += consecutive >= threshold ? 1 : 0;
    }
    assertThat(detected).isGreaterThanOrEqualTo(990);
  }

  @Test
  void higherCanaryErrorRateFails() {
    Random rng = new Random(8);
    Histogram stable = lognormal(rng, 2000, 1.0);
    Histogram canary = lognormal(rng, 2000, 1.0);
    Verdict v =
        judge.judge(
            new JudgeInput(
                new VariantSample(stable, 2000, 10), new VariantSample(canary, 2000, 100), null));

    assertThat(v.outcome()).isEqualTo(Outcome.FAIL);
    assertThat(v.evidence().stableErrorRate()).isEqualTo(0.005);
    assertThat(v.evidence().canaryErrorRate()).isEqualTo(0.05);
    assertThat(v.evidence().errorPValue()).isLessThan(1e-6);
    assertThat(v.reason()).contains("error rate");
  }

  @ParameterizedTest(name = "[{index}] stable {0}, canary {1} errors of 2000")
  @CsvSource({
    "10, 10", // equal rates
    "0, 0", // no errors at all
    "10, 25", // significant (p < 0.01) but only +0.75 points, below maxErrorIncrease
    "100, 10" // canary better
  })
  void errorRateWithinToleranceOrNotWorsePasses(long stableErrors, long canaryErrors) {
    Random rng = new Random(8);
    Verdict v =
        judge.judge(
            new JudgeInput(
                new VariantSample(lognormal(rng, 2000, 1.0), 2000, stableErrors),
                new VariantSample(lognormal(rng, 2000, 1.0), 2000, canaryErrors),
                null));

    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
  }

  @ParameterizedTest(name = "[{index}] {1}/{0} mismatches -> {2}")
  @CsvSource({"100, 6, FAIL", "100, 5, PASS", "0, 0, PASS"})
  void mirrorMismatchRateAboveMaximumFails(long compared, long mismatches, Outcome expected) {
    Random rng = new Random(9);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 2000, 1.0), 0),
                side(lognormal(rng, 2000, 1.0), 0),
                new MirrorSample(compared, mismatches, null)));

    assertThat(v.outcome()).isEqualTo(expected);
    if (compared > 0) {
      assertThat(v.evidence().mismatchRate()).isEqualTo((double) mismatches / compared);
    } else {
      assertThat(v.evidence().mismatchRate()).isNull();
    }
  }

  @Test
  void shadowGateComparesShadowLatencyWithStable() {
    Random rng = new Random(10);
    Histogram stable = lognormal(rng, 5000, 1.0);
    JudgeInput slowShadow =
        new JudgeInput(
            side(stable, 0),
            side(Samples.newHistogram(), 0),
            new MirrorSample(500, 0, lognormal(rng, 5000, 1.5)));
    JudgeInput goodShadow =
        new JudgeInput(
            side(stable, 0),
            side(Samples.newHistogram(), 0),
            new MirrorSample(500, 0, lognormal(rng, 5000, 1.0)));
    JudgeInput noShadow = new JudgeInput(side(stable, 0), side(Samples.newHistogram(), 0), null);

    assertThat(judge.judgeShadow(slowShadow).outcome()).isEqualTo(Outcome.FAIL);
    assertThat(judge.judgeShadow(goodShadow).outcome()).isEqualTo(Outcome.PASS);
    assertThat(judge.judgeShadow(goodShadow).comparison()).isEqualTo("shadow");
    assertThat(judge.judgeShadow(noShadow).outcome()).isEqualTo(Outcome.INCONCLUSIVE);
  }

  @Test
  void verdictSerializesToPlainJsonAndBack() throws Exception {
    Random rng = new Random(12);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 2000, 1.0), 3), side(lognormal(rng, 2000, 1.4), 4), null));
    ObjectMapper mapper = new ObjectMapper();

    JsonNode json = mapper.readTree(mapper.writeValueAsString(v));

    assertThat(json.get("outcome").asText()).isEqualTo("FAIL");
    assertThat(json.get("at").asText()).isEqualTo("2026-01-02T03:04:05Z");
    assertThat(json.get("evidence").get("canaryRequests").asLong()).isEqualTo(2000);
    assertThat(json.get("evidence").get("latencyPValue").isNumber()).isTrue();
    assertThat(json.get("evidence").get("mismatchRate").isNull()).isTrue();
    assertThat(mapper.readValue(mapper.writeValueAsString(v), Verdict.class)).isEqualTo(v);
  }
}
