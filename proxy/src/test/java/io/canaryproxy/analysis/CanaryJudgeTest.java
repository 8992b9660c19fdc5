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
    assertThat(v.evidence().latency().ratio()).isCloseTo(1.3, within(0.03));
    assertThat(v.evidence().latency().ratioLower()).isGreaterThan(1.2);
    assertThat(v.evidence().latency().shiftLowerMs()).isGreaterThan(1.0);
    assertThat(v.evidence().latencyPValue()).isLessThan(v.evidence().alpha());
    assertThat(v.reason()).startsWith("worse beyond tolerance (latency").contains("(max 1.20x)");
  }

  @Test
  void significantButSmallSlowdownPasses() {
    // 5% slower is detectable with 20,000 samples, but its whole interval is below the tolerance
    Random rng = new Random(3);
    Histogram stable = lognormal(rng, 20_000, 1.0);
    Histogram canary = lognormal(rng, 20_000, 1.05);
    Verdict v = judge.judge(new JudgeInput(side(stable, 0), side(canary, 0), null));

    assertThat(HistogramMannWhitney.greater(stable, canary).pValue()).isLessThan(1e-6);
    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
    assertThat(v.evidence().latency().ratioLower()).isLessThan(1.05);
    assertThat(v.evidence().latency().ratioUpper()).isBetween(1.05, 1.2);
  }

  @Test
  void subMillisecondShiftNeverFails() {
    // 0.5 ms is +50% of a 1 ms backend, clearly beyond the relative tolerance, but below minShift
    Random rng = new Random(31);
    Histogram stable = Samples.newHistogram();
    Histogram canary = Samples.newHistogram();
    for (int i = 0; i < 20_000; i++) {
      stable.recordValue(1000 + rng.nextInt(50));
      canary.recordValue(1500 + rng.nextInt(50));
    }
    Verdict v = judge.judge(new JudgeInput(side(stable, 0), side(canary, 0), null));

    assertThat(v.evidence().latency().ratioLower()).isGreaterThan(1.4);
    assertThat(v.evidence().latency().shiftUpperMs()).isLessThan(1.0);
    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
  }

  @ParameterizedTest(name = "[{index}] stable {0}, canary {1} requests")
  @CsvSource({"29, 5000", "5000, 29", "0, 0", "10, 10"})
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
  void aClearRegressionFailsBeforeMinRequestsButAPassWaitsForThem() {
    Random rng = new Random(6);
    Histogram stable = lognormal(rng, 5000, 1.0);
    JudgeInput worse = new JudgeInput(side(stable, 0), side(lognormal(rng, 60, 3.0), 0), null);
    JudgeInput same = new JudgeInput(side(stable, 0), side(lognormal(rng, 60, 1.0), 0), null);

    assertThat(judge.judge(worse).outcome()).isEqualTo(Outcome.FAIL);
    assertThat(judge.judge(same).outcome()).isEqualTo(Outcome.INCONCLUSIVE);
    assertThat(judge.judge(same).reason()).startsWith("too little data");
  }

  @Test
  void aaSingleLooksNeverFailAndMannWhitneyIsCalibrated() {
    Random rng = new Random(2024);
    Histogram a = Samples.newHistogram();
    Histogram b = Samples.newHistogram();
    int fails = 0;
    int significant = 0;
    int belowHalf = 0;
    for (int run = 0; run < 1000; run++) {
      lognormal(a, rng, 1000, 1.0);
      lognormal(b, rng, 1000, 1.0);
      Verdict v = judge.decide(new JudgeInput(side(a, 10), side(b, 10), null));
      fails += v.outcome() == Outcome.FAIL ? 1 : 0;
      double p = HistogramMannWhitney.greater(a, b).pValue();
      significant += p < 0.01 ? 1 : 0;
      belowHalf += p < 0.5 ? 1 : 0;
    }
    assertThat(fails).isLessThanOrEqualTo(3);
    // Under H0 the p-value is uniform: about 1% below 0.01 and half below 0.5.
    assertThat(significant).isLessThanOrEqualTo(25);
    assertThat(belowHalf).isBetween(450, 550);
  }

  @Test
  void fiftyPercentRegressionFailsAtEveryLook() {
    Random rng = new Random(99);
    Histogram a = Samples.newHistogram();
    Histogram b = Samples.newHistogram();
    int failed = 0;
    for (int run = 0; run < 300; run++) {
      Verdict v =
          judge.decide(
              new JudgeInput(
                  side(lognormal(a, rng, 2000, 1.0), 0),
                  side(lognormal(b, rng, 2000, 1.5), 0),
                  null));
      failed += v.outcome() == Outcome.FAIL ? 1 : 0;
    }
    assertThat(failed).isEqualTo(300);
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
    assertThat(v.evidence().errors().tolerance()).isEqualTo(0.01);
    assertThat(v.reason()).startsWith("worse beyond tolerance (errors)");
  }

  @ParameterizedTest(name = "[{index}] stable {0}, canary {1} errors of 2000 -> {2}")
  @CsvSource({
    "10, 10, undecided", // equal rates at 0.5%, but 2,000 requests do not show < +1 point
    // always-valid
    "0, 0, pass", // no errors at all
    "10, 25, undecided", // significant (p < 0.01) but +0.75 points: neither above nor surely below
    "100, 10, pass", // canary better
    "200, 230, undecided" // stable at 10%: the relative tolerance (20%: 2 points) applies
  })
  void errorRateWithinToleranceNeverFails(long stableErrors, long canaryErrors, String check) {
    Random rng = new Random(8);
    Verdict v =
        judge.judge(
            new JudgeInput(
                new VariantSample(lognormal(rng, 2000, 1.0), 2000, stableErrors),
                new VariantSample(lognormal(rng, 2000, 1.0), 2000, canaryErrors),
                null));

    assertThat(v.outcome()).isEqualTo(Outcome.PASS);
    assertThat(v.evidence().errors().result().name().toLowerCase(java.util.Locale.ROOT))
        .isEqualTo(check);
  }

  @ParameterizedTest(name = "[{index}] {1}/{0} mismatches -> {2}")
  @CsvSource({"1000, 200, FAIL", "1000, 60, PASS", "100, 6, PASS", "0, 0, PASS"})
  void mirrorMismatchRateBeyondToleranceFails(long compared, long mismatches, Outcome expected) {
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

  @ParameterizedTest(name = "[{index}] shadow {0}/3000, baseline {1}/3000 -> {2}")
  @CsvSource({
    "570, 549, PASS", // 19.0% against a noisy baseline of 18.3%: the three-backend case
    "900, 549, FAIL", // 30% is 11.7 points over the baseline
    "570, -1, FAIL" // without a baseline, 19% is judged against 0
  })
  void mirrorMismatchesAreJudgedAgainstTheStableBaseline(
      long mismatches, long baseline, Outcome expected) {
    Random rng = new Random(19);
    JudgeInput.Baseline b = baseline < 0 ? null : new JudgeInput.Baseline(3000, baseline);
    Verdict v =
        judge.judge(
            new JudgeInput(
                side(lognormal(rng, 2000, 1.0), 0),
                side(lognormal(rng, 2000, 1.0), 0),
                new MirrorSample(3000, mismatches, null, b)));

    assertThat(v.outcome()).isEqualTo(expected);
    assertThat(v.evidence().mirror().referenceTrials()).isEqualTo(b == null ? 0 : 3000);
    assertThat(v.reason()).contains(b == null ? "vs 0 (max +5.00 pp)" : "vs baseline 18.30%");
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
