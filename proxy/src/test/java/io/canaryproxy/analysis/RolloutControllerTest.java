package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.RolloutFixture.HEALTHY;
import static io.canaryproxy.analysis.RolloutFixture.REGRESSED;
import static io.canaryproxy.analysis.RolloutFixture.SHADOW_OK;
import static io.canaryproxy.analysis.RolloutFixture.SHADOW_SLOW;
import static io.canaryproxy.analysis.RolloutFixture.SPARSE;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.RolloutController.OperationResult;
import io.canaryproxy.analysis.RolloutEvent.Type;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RolloutControllerTest {
  private static final List<Double> STEPS = List.of(1.0, 5.0, 25.0, 50.0, 100.0);

  @TempDir Path dir;

  private RolloutFixture fixture(OnFailure onFailure) {
    return new RolloutFixture(STEPS, onFailure, dir.resolve("state.json"), false);
  }

  @Test
  void healthyCanaryIsPromotedThroughEveryStep() {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    assertThat(f.percents).containsExactly(1.0);

    // 5 passing intervals are 50 s: not yet a full step interval
    for (int i = 0; i < 5; i++) {
      assertThat(f.interval(HEALTHY)).isEqualTo(Outcome.PASS);
    }
    assertThat(f.controller.status().step()).isZero();
    f.interval(HEALTHY);
    assertThat(f.controller.status().step()).isEqualTo(1);

    for (int i = 0; i < 18; i++) {
      f.interval(HEALTHY);
    }
    RolloutStatus status = f.controller.status();
    assertThat(status.state()).isEqualTo(RolloutState.PROMOTED);
    assertThat(status.canaryPercent()).isEqualTo(100.0);
    assertThat(f.percents).containsExactly(1.0, 5.0, 25.0, 50.0, 100.0);
    assertThat(f.eventTypes())
        .containsExactly(
            Type.STARTED,
            Type.STEP_ADVANCED,
            Type.STEP_ADVANCED,
            Type.STEP_ADVANCED,
            Type.PROMOTED);
    assertThat(f.interval(HEALTHY)).as("a promoted rollout judges no more").isNull();
  }

  @Test
  void lastStepBelowHundredIsPromotedAfterItPasses() {
    RolloutFixture f =
        new RolloutFixture(List.of(10.0, 50.0), OnFailure.ROLLBACK, dir.resolve("s.json"), false);
    f.controller.start();
    for (int i = 0; i < 12; i++) {
      f.interval(HEALTHY);
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROMOTED);
    assertThat(f.controller.status().canaryPercent()).isEqualTo(50.0);
    assertThat(f.percents).containsExactly(10.0, 50.0);
  }

  @ParameterizedTest(name = "[{index}] onFailure {0} -> {1} at {2}%")
  @CsvSource({"ROLLBACK, ROLLED_BACK, 0", "PAUSE, PAUSED, 5"})
  void thresholdConsecutiveFailuresTriggerOnFailure(
      OnFailure onFailure, RolloutState expected, double pct) {
    RolloutFixture f = fixture(onFailure);
    f.controller.start();
    f.controller.promote(); // now at 5%
    assertThat(f.interval(REGRESSED)).isEqualTo(Outcome.FAIL);
    assertThat(f.interval(REGRESSED)).isEqualTo(Outcome.FAIL);
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(f.controller.status().consecutiveFailures()).isEqualTo(2);

    f.interval(REGRESSED);

    RolloutStatus status = f.controller.status();
    assertThat(status.state()).isEqualTo(expected);
    assertThat(status.canaryPercent()).isEqualTo(pct);
    assertThat(f.percents.get(f.percents.size() - 1)).isEqualTo(pct);
    assertThat(f.eventTypes())
        .containsSubsequence(
            Type.VERDICT_FAILED,
            Type.VERDICT_FAILED,
            Type.VERDICT_FAILED,
            onFailure == OnFailure.ROLLBACK ? Type.ROLLED_BACK : Type.PAUSED);
    assertThat(status.verdicts()).hasSize(3).allMatch(v -> v.outcome() == Outcome.FAIL);
  }

  @Test
  void inconclusiveIntervalsNeitherRollBackNorPromote() {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    for (int i = 0; i < 30; i++) {
      assertThat(f.interval(SPARSE)).isEqualTo(Outcome.INCONCLUSIVE);
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(f.controller.status().step()).as("promotion needs a PASS").isZero();
    assertThat(f.percents).containsExactly(1.0);
  }

  @Test
  void oneLuckyIntervalDoesNotResetTheFailurePath() {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    assertThat(f.interval(REGRESSED)).isEqualTo(Outcome.FAIL);
    assertThat(f.interval(REGRESSED)).isEqualTo(Outcome.FAIL);
    // a healthy interval joins the step's evidence, which still shows a regression
    assertThat(f.interval(HEALTHY)).isEqualTo(Outcome.FAIL);

    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(f.percents).containsExactly(1.0, 0.0);
  }

  @Test
  void eachLookJudgesTheWholeStepAndANewStepStartsAfresh() {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    for (int i = 1; i <= 6; i++) {
      f.interval(HEALTHY);
      Verdict v = last(f);
      assertThat(v.evidence().canaryRequests()).isEqualTo(2000L * i);
    }
    assertThat(f.controller.status().step()).isEqualTo(1);

    f.interval(HEALTHY);

    assertThat(last(f).evidence().canaryRequests()).isEqualTo(2000);
  }

  @ParameterizedTest(name = "[{index}] onInconclusive {0} -> {1} at {2}%")
  @CsvSource({"PAUSE, PAUSED, 1", "ROLLBACK, ROLLED_BACK, 0"})
  void aStepWithoutDecisionForMaxInconclusiveStopsAndSaysWhy(
      OnFailure onInconclusive, RolloutState expected, double pct) {
    RolloutFixture f =
        new RolloutFixture(
            STEPS, dir.resolve("s.json"), java.time.Duration.ofMinutes(2), onInconclusive);
    f.controller.start();
    for (int i = 0; i < 11; i++) {
      assertThat(f.interval(SPARSE)).isEqualTo(Outcome.INCONCLUSIVE);
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);

    f.interval(SPARSE); // 120 s without a decision

    RolloutStatus status = f.controller.status();
    assertThat(status.state()).isEqualTo(expected);
    assertThat(status.canaryPercent()).isEqualTo(pct);
    assertThat(status.reason())
        .startsWith(
            "inconclusive: no PASS or FAIL for PT2M (maxInconclusive: PT2M); last: too little")
        .contains("minRequests: 200");
    assertThat(f.events.get(f.events.size() - 1).type())
        .isEqualTo(onInconclusive == OnFailure.PAUSE ? Type.PAUSED : Type.ROLLED_BACK);
    assertThat(f.events.get(f.events.size() - 1).reason()).isEqualTo(status.reason());
    assertThat(f.controller.inconclusiveLooks()).isEqualTo(12);
  }

  @Test
  void maxInconclusiveOfZeroWaitsForever() {
    RolloutFixture f =
        new RolloutFixture(STEPS, dir.resolve("s.json"), java.time.Duration.ZERO, OnFailure.PAUSE);
    f.controller.start();
    for (int i = 0; i < 200; i++) {
      f.interval(SPARSE);
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(f.controller.inconclusiveLooks()).isEqualTo(200);
  }

  private static Verdict last(RolloutFixture f) {
    List<Verdict> v = f.controller.status().verdicts();
    return v.get(v.size() - 1);
  }

  @Test
  void stateFileRoundTripKeepsRolledBack() throws Exception {
    Path file = dir.resolve("state.json");
    RolloutFixture first = fixture(OnFailure.ROLLBACK);
    first.controller.start();
    first.controller.promote();
    for (int i = 0; i < 3; i++) {
      first.interval(REGRESSED);
    }
    assertThat(first.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    String json = java.nio.file.Files.readString(file);
    assertThat(json)
        .contains(
            "\"state\" : \"rolledBack\"",
            "\"canaryPercent\" : 0.0",
            "\"updatedAt\"",
            "\"verdicts\"");
    try (var files = java.nio.file.Files.list(dir)) {
      assertThat(files).as("no temporary file is left behind").containsExactly(file);
    }

    RolloutFixture restarted = fixture(OnFailure.ROLLBACK);
    RolloutStatus status = restarted.controller.start();

    assertThat(status.state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(status.step()).isEqualTo(1);
    assertThat(restarted.percents).containsExactly(0.0);
    assertThat(status.verdicts()).isEqualTo(first.controller.status().verdicts());
    assertThat(restarted.interval(HEALTHY)).isNull();
    assertThat(restarted.controller.resume().ok()).isFalse();
  }

  @ParameterizedTest(name = "[{index}] {0} at step {1} resumes as {0} at {2}%")
  @CsvSource({"PAUSED, 2, 25", "PROGRESSING, 3, 50", "PROMOTED, 4, 100"})
  void restartResumesTheSavedStateAndStep(RolloutState saved, int step, double pct) {
    RolloutFixture first = fixture(OnFailure.ROLLBACK);
    first.controller.start();
    for (int i = 0; i < step; i++) {
      first.controller.promote();
    }
    if (saved == RolloutState.PAUSED) {
      first.controller.pause();
    }
    assertThat(first.controller.status().state()).isEqualTo(saved);

    RolloutFixture restarted = fixture(OnFailure.ROLLBACK);
    RolloutStatus status = restarted.controller.start();

    assertThat(status.state()).isEqualTo(saved);
    assertThat(status.step()).isEqualTo(step);
    assertThat(restarted.percents).containsExactly(pct);
    if (saved == RolloutState.PAUSED) {
      for (int i = 0; i < 12; i++) {
        restarted.interval(HEALTHY);
      }
      assertThat(restarted.controller.status().state()).as("paused stays paused").isEqualTo(saved);
      assertThat(restarted.controller.status().step()).isEqualTo(step);
    }
  }

  @ParameterizedTest(name = "[{index}] {0} + {1} -> ok={2}, {3}")
  @CsvSource({
    "PROGRESSING, pause,    true,  PAUSED",
    "PROGRESSING, resume,   false, PROGRESSING",
    "PROGRESSING, promote,  true,  PROGRESSING",
    "PROGRESSING, rollback, true,  ROLLED_BACK",
    "PAUSED,      pause,    false, PAUSED",
    "PAUSED,      resume,   true,  PROGRESSING",
    "PAUSED,      promote,  true,  PROGRESSING",
    "PAUSED,      rollback, true,  ROLLED_BACK",
    "PROMOTED,    pause,    false, PROMOTED",
    "PROMOTED,    resume,   false, PROMOTED",
    "PROMOTED,    promote,  false, PROMOTED",
    "PROMOTED,    rollback, true,  ROLLED_BACK",
    "ROLLED_BACK, pause,    false, ROLLED_BACK",
    "ROLLED_BACK, resume,   false, ROLLED_BACK",
    "ROLLED_BACK, promote,  false, ROLLED_BACK",
    "ROLLED_BACK, rollback, false, ROLLED_BACK"
  })
  void manualOperations(RolloutState from, String op, boolean ok, RolloutState to) {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    switch (from) {
      case PAUSED -> f.controller.pause();
      case PROMOTED -> STEPS.forEach(s -> f.controller.promote());
      case ROLLED_BACK -> f.controller.rollback();
      default -> {}
    }
    int stepBefore = f.controller.status().step();
    int eventsBefore = f.events.size();

    OperationResult result = apply(f.controller, op);

    assertThat(result.ok()).isEqualTo(ok);
    assertThat(result.operation()).isEqualTo(op);
    assertThat(result.status().state()).isEqualTo(to);
    assertThat(f.controller.status().state()).isEqualTo(to);
    if (ok) {
      assertThat(result.error()).isNull();
      assertThat(f.events).hasSize(eventsBefore + 1);
      assertThat(f.events.get(eventsBefore).manual()).isTrue();
    } else {
      assertThat(result.error()).startsWith("cannot " + op + ": the rollout is " + from.jsonName());
      assertThat(f.events).hasSize(eventsBefore);
    }
    if (op.equals("promote") && ok) {
      assertThat(result.status().step()).isEqualTo(stepBefore + 1);
      assertThat(result.status().canaryPercent()).isEqualTo(STEPS.get(stepBefore + 1));
    }
    if (to == RolloutState.ROLLED_BACK) {
      assertThat(result.status().canaryPercent()).isZero();
    }
  }

  private static OperationResult apply(RolloutController c, String op) {
    return switch (op) {
      case "pause" -> c.pause();
      case "resume" -> c.resume();
      case "promote" -> c.promote();
      default -> c.rollback();
    };
  }

  @Test
  void withoutRolloutSectionStaysIdleAndRefusesOperations() {
    List<Double> percents = new java.util.ArrayList<>();
    RolloutController c =
        new RolloutController(null, percents::add, RolloutEventListener.NONE, Clock.systemUTC());

    assertThat(c.start().state()).isEqualTo(RolloutState.IDLE);
    assertThat(c.onInterval(HEALTHY)).isEmpty();
    assertThat(c.pause().error()).isEqualTo("no rollout is configured");
    assertThat(c.rollback().ok()).isFalse();
    assertThat(percents).isEmpty();
  }

  @Test
  void shadowGateAdvancesOnlyOnPassingMirrorData() {
    RolloutFixture f =
        new RolloutFixture(List.of(5.0, 100.0), OnFailure.ROLLBACK, dir.resolve("s.json"), true);
    RolloutStatus start = f.controller.start();
    assertThat(start.inShadowGate()).isTrue();
    assertThat(start.steps()).containsExactly(0.0, 5.0, 100.0);
    assertThat(f.percents).containsExactly(0.0);

    for (int i = 0; i < 12; i++) {
      assertThat(f.interval(HEALTHY))
          .as("no shadow data: inconclusive")
          .isEqualTo(Outcome.INCONCLUSIVE);
    }
    assertThat(f.controller.status().step()).isZero();
    // 120 s at the gate without a failure: the first PASS is enough
    assertThat(f.interval(SHADOW_OK)).isEqualTo(Outcome.PASS);

    assertThat(f.controller.status().inShadowGate()).isFalse();
    assertThat(f.percents).containsExactly(0.0, 5.0);
    assertThat(f.controller.status().verdicts())
        .last()
        .extracting(Verdict::comparison)
        .isEqualTo("shadow");
  }

  @Test
  void slowShadowRollsBackAtTheGate() {
    RolloutFixture f =
        new RolloutFixture(List.of(5.0, 100.0), OnFailure.ROLLBACK, dir.resolve("s.json"), true);
    f.controller.start();
    for (int i = 0; i < 3; i++) {
      assertThat(f.interval(SHADOW_SLOW)).isEqualTo(Outcome.FAIL);
    }
    assertThat(f.controller.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(f.percents).containsExactly(0.0, 0.0);
  }

  @Test
  void statusKeepsTheLastTwentyVerdictsAndSerializesToTheContractShape() throws Exception {
    RolloutFixture f = fixture(OnFailure.ROLLBACK);
    f.controller.start();
    for (int i = 0; i < 25; i++) {
      f.interval(SPARSE);
    }
    var json = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(f.controller.status());

    assertThat(json.get("state").asText()).isEqualTo("progressing");
    assertThat(json.get("canaryPercent").asDouble()).isEqualTo(1.0);
    assertThat(json.get("step").asInt()).isZero();
    assertThat(json.get("verdicts")).hasSize(RolloutController.VERDICTS_KEPT);
    assertThat(json.get("verdicts").get(0).get("outcome").asText()).isEqualTo("INCONCLUSIVE");
    assertThat(json.get("verdicts").get(0).get("evidence").get("canaryRequests").asLong()).isZero();
    assertThat(json.get("verdicts").get(0).get("evidence").get("stableRequests").asLong())
        .as("the step's evidence accumulates: the first kept verdict is the 6th look")
        .isEqualTo(6 * 2000);
  }

  @Test
  void unreadableStateFileStopsTheStartInsteadOfUndoingARollback() throws Exception {
    java.nio.file.Files.writeString(dir.resolve("state.json"), "{\"state\": \"rolledBa");
    RolloutFixture f = fixture(OnFailure.ROLLBACK);

    org.assertj.core.api.Assertions.assertThatThrownBy(f.controller::start)
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("rollout.stateFile: " + dir.resolve("state.json"));
    assertThat(f.percents).isEmpty();
  }
}
