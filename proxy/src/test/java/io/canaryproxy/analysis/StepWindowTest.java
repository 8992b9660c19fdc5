package io.canaryproxy.analysis;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.Verdict.Outcome;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class StepWindowTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Duration STEP = Duration.ofSeconds(60);

  private static Instant at(int seconds) {
    return T0.plusSeconds(seconds);
  }

  @Test
  void aFailRestartsTheStepClockAndIsADecision() {
    StepWindow w = new StepWindow(Duration.ZERO, T0);
    w.count(Outcome.PASS, at(30));
    w.count(Outcome.FAIL, at(50));

    assertThat(w.hasRun(STEP, at(100))).isFalse();
    assertThat(w.hasRun(STEP, at(110))).isTrue();
    assertThat(w.undecidedFor(at(110))).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void inconclusiveLooksAreNoDecisionAndTheWarmupDoesNotCount() {
    StepWindow w = new StepWindow(Duration.ofSeconds(30), T0);
    w.restart(T0, true);
    w.count(Outcome.INCONCLUSIVE, at(40));
    w.count(Outcome.INCONCLUSIVE, at(50));

    assertThat(w.warmingUp(at(29))).isTrue();
    assertThat(w.undecidedFor(at(20))).isZero();
    assertThat(w.undecidedFor(at(90))).isEqualTo(Duration.ofSeconds(60));
    assertThat(w.hasRun(STEP, at(89))).isFalse();
    assertThat(w.hasRun(STEP, at(90))).isTrue();
  }
}
