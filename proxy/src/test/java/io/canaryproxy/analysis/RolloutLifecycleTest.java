package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.RolloutFixture.HEALTHY;
import static io.canaryproxy.analysis.RolloutFixture.INTERVAL;
import static io.canaryproxy.analysis.RolloutFixture.REGRESSED;
import static io.canaryproxy.analysis.RolloutFixture.SPARSE;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.RolloutEvent.Type;
import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.LifecycleConfig;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The lifecycle rules of {@link RolloutController} on a fake clock: restart and history, the
 * progress deadline, gates (through a hand-driven {@link Gatekeeper}), business-metric results
 * joined to verdicts, and new-revision detection.
 */
class RolloutLifecycleTest {
  private static final List<Double> STEPS = List.of(1.0, 5.0, 100.0);

  @TempDir Path dir;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  private final List<Double> percents = new CopyOnWriteArrayList<>();
  private final List<RolloutEvent> events = new CopyOnWriteArrayList<>();
  private final ManualGates gates = new ManualGates();
  private List<MetricResult> metricResults = List.of();
  private int metricResets;

  private final MetricSource metrics =
      new MetricSource() {
        @Override
        public List<MetricResult> results() {
          return metricResults;
        }

        @Override
        public void reset() {
          metricResets++;
        }
      };

  private RolloutController controller(LifecycleConfig lifecycle) {
    RolloutConfig config =
        new RolloutConfig(
                STEPS,
                RolloutFixture.STEP_INTERVAL,
                Samples.defaults(),
                OnFailure.ROLLBACK,
                dir.resolve("state.json"),
                null,
                false)
            .withLifecycle(lifecycle);
    return new RolloutController(config, percents::add, events::add, clock, gates, metrics);
  }

  private static LifecycleConfig lifecycle() {
    return LifecycleConfig.DEFAULTS;
  }

  private Outcome interval(RolloutController c, JudgeInput in) {
    clock.advance(INTERVAL);
    return c.onInterval(in).map(Verdict::outcome).orElse(null);
  }

  private List<Type> types() {
    return events.stream().map(RolloutEvent::type).toList();
  }

  @Test
  void restartAfterARollbackStartsAgainFromStepZeroAndKeepsTheHistory() {
    RolloutController c = controller(lifecycle());
    c.start();
    for (int i = 0; i < 3; i++) {
      interval(c, REGRESSED);
    }
    assertThat(c.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(c.resume().ok()).isFalse(); // the old way out did not exist

    RolloutController.OperationResult restarted = c.restart();

    assertThat(restarted.ok()).isTrue();
    RolloutStatus s = c.status();
    assertThat(s.state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(s.step()).isZero();
    assertThat(s.canaryPercent()).isEqualTo(1.0);
    assertThat(s.attempt()).isEqualTo(2);
    assertThat(s.verdicts()).isEmpty();
    assertThat(percents).containsExactly(1.0, 0.0, 1.0);
    assertThat(types()).endsWith(Type.ROLLED_BACK, Type.RESTARTED);
    assertThat(metricResets).isEqualTo(1);
    assertThat(s.history()).hasSize(1);
    RolloutHistory.Rollout first = s.history().get(0);
    assertThat(first.attempt()).isEqualTo(1);
    assertThat(first.outcome()).isEqualTo("rolledBack");
    assertThat(first.reason()).startsWith("3 consecutive failed looks");
    assertThat(first.verdicts())
        .extracting(RolloutHistory.Look::outcome)
        .containsOnly(Outcome.FAIL);
    assertThat(first.verdicts()).hasSize(3);

    // the fixed canary goes all the way; the history then holds both attempts
    for (int i = 0; i < 14 && c.status().state() != RolloutState.PROMOTED; i++) {
      interval(c, HEALTHY);
    }
    assertThat(c.status().state()).isEqualTo(RolloutState.PROMOTED);
    assertThat(c.status().history())
        .extracting(RolloutHistory.Rollout::outcome)
        .containsExactly("rolledBack", "promoted");

    // a restarted proxy reads both back from the state file
    RolloutController again = controller(lifecycle());
    again.start();
    assertThat(again.status().attempt()).isEqualTo(2);
    assertThat(again.status().history())
        .extracting(RolloutHistory.Rollout::attempt)
        .containsExactly(1, 2);
    assertThat(again.history()).containsKeys("current", "rollouts");
  }

  @Test
  void restartOfARunningRolloutRecordsItAsSupersededAndHistoryIsBounded() {
    RolloutController c =
        controller(new LifecycleConfig(2, Duration.ZERO, OnFailure.PAUSE, null, null, null));
    c.start();
    for (int i = 0; i < 3; i++) {
      interval(c, HEALTHY);
      assertThat(c.restart().ok()).isTrue();
    }
    assertThat(c.status().attempt()).isEqualTo(4);
    assertThat(c.status().history())
        .extracting(RolloutHistory.Rollout::attempt)
        .containsExactly(2, 3);
    assertThat(c.status().history())
        .extracting(RolloutHistory.Rollout::outcome)
        .containsOnly("superseded");
  }

  @Test
  void restartIsRefusedBeforeTheRolloutStarted() {
    RolloutController c = controller(lifecycle());
    RolloutController.OperationResult r = c.restart();
    assertThat(r.ok()).isFalse();
    assertThat(r.error()).contains("idle").contains("any state but idle");
  }

  @ParameterizedTest
  @EnumSource(OnFailure.class)
  void aStepThatDoesNotAdvanceInTimeHitsTheProgressDeadline(OnFailure action) {
    RolloutController c =
        controller(new LifecycleConfig(10, Duration.ofSeconds(60), action, null, null, null));
    c.start();
    for (int i = 0; i < 5; i++) {
      interval(c, SPARSE); // 50 s without a decision: still progressing
    }
    assertThat(c.status().state()).isEqualTo(RolloutState.PROGRESSING);
    interval(c, SPARSE);

    RolloutStatus s = c.status();
    assertThat(s.reason()).startsWith("progress deadline: step 0 has not advanced in PT1M");
    if (action == OnFailure.PAUSE) {
      assertThat(s.state()).isEqualTo(RolloutState.PAUSED);
      assertThat(s.canaryPercent()).isEqualTo(1.0);
      assertThat(types()).endsWith(Type.PROGRESS_DEADLINE, Type.PAUSED);
    } else {
      assertThat(s.state()).isEqualTo(RolloutState.ROLLED_BACK);
      assertThat(s.canaryPercent()).isZero();
      assertThat(types()).endsWith(Type.PROGRESS_DEADLINE, Type.ROLLED_BACK);
    }
  }

  @Test
  void theDeadlineRestartsWithEachStep() {
    RolloutController c =
        controller(
            new LifecycleConfig(10, Duration.ofSeconds(90), OnFailure.PAUSE, null, null, null));
    c.start();
    for (int i = 0; i < 6; i++) {
      interval(c, HEALTHY); // the step advances after 60 s
    }
    assertThat(c.status().step()).isEqualTo(1);
    for (int i = 0; i < 5; i++) {
      interval(c, SPARSE); // 50 s into step 1: 110 s since the start, but not since the step
    }
    assertThat(c.status().state()).isEqualTo(RolloutState.PROGRESSING);
  }

  @Test
  void aFailingPreRolloutGateKeepsTheCanaryAtZeroUntilItPasses() {
    gates.stages.add(GateStage.PRE_ROLLOUT);
    RolloutController c = controller(lifecycle());
    c.start();

    assertThat(percents).containsExactly(0.0);
    assertThat(c.status().gate().stage()).isEqualTo(GateStage.PRE_ROLLOUT);
    gates.last().failed("smoke: status 503");
    gates.last().failed("smoke: status 503");
    for (int i = 0; i < 10; i++) {
      interval(c, SPARSE); // no traffic: nothing is applied while waiting
    }
    assertThat(c.status().canaryPercent()).isZero();
    assertThat(c.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(c.status().gate().lastFailure()).isEqualTo("smoke: status 503");
    assertThat(types()).containsOnlyOnce(Type.GATE_FAILED);

    gates.last().passed("1 gate(s) answered 2xx");

    assertThat(percents).containsExactly(0.0, 1.0);
    assertThat(c.status().gate()).isNull();
  }

  @Test
  void preStepAndPrePromotionGatesHoldTheRolloutAtItsStep() {
    gates.stages.add(GateStage.PRE_STEP);
    gates.stages.add(GateStage.PRE_PROMOTION);
    RolloutController c = controller(lifecycle());
    c.start();
    for (int i = 0; i < 9; i++) {
      interval(c, HEALTHY);
    }
    assertThat(c.status().step()).isZero();
    assertThat(c.status().gate().stage()).isEqualTo(GateStage.PRE_STEP);
    assertThat(gates.waits).hasSize(1); // asked once however many PASS looks follow

    gates.last().passed("ok");
    assertThat(c.status().canaryPercent()).isEqualTo(5.0);

    for (int i = 0; i < 9; i++) {
      interval(c, HEALTHY);
    }
    assertThat(c.status().gate().stage()).isEqualTo(GateStage.PRE_PROMOTION);
    assertThat(c.status().state()).isEqualTo(RolloutState.PROGRESSING);
    gates.last().passed("ok");
    assertThat(c.status().state()).isEqualTo(RolloutState.PROMOTED);
  }

  @Test
  void aRollbackCancelsTheWaitAndALatePassChangesNothing() {
    gates.stages.add(GateStage.PRE_STEP);
    RolloutController c = controller(lifecycle());
    c.start();
    for (int i = 0; i < 6; i++) {
      interval(c, HEALTHY);
    }
    ManualGates.Pending wait = gates.last();
    assertThat(c.rollback().ok()).isTrue();
    assertThat(wait.cancelled).isTrue();
    wait.passed("too late");
    assertThat(c.status().state()).isEqualTo(RolloutState.ROLLED_BACK);
    assertThat(c.status().canaryPercent()).isZero();
  }

  @Test
  void aFailingBusinessMetricRollsBackACanaryWhoseLatencyAndErrorsLookHealthy() {
    metricResults =
        List.of(MetricResult.of("conversion", 0.01, null, 0.05, "2026-03-01T10:00:00Z"));
    RolloutController c = controller(lifecycle());
    c.start();
    for (int i = 0; i < 3; i++) {
      assertThat(interval(c, HEALTHY)).isEqualTo(Outcome.FAIL);
    }
    RolloutStatus s = c.status();
    assertThat(s.state()).isEqualTo(RolloutState.ROLLED_BACK);
    Verdict last = s.verdicts().get(s.verdicts().size() - 1);
    assertThat(last.reason()).startsWith("metric conversion 0.01 < min 0.05; judge: ");
    assertThat(last.metrics())
        .singleElement()
        .satisfies(m -> assertThat(m.value()).isEqualTo(0.01));
  }

  @Test
  void aMetricWithoutAValueNeverLetsAPassThroughNorFails() {
    metricResults =
        List.of(MetricResult.inconclusive("conversion", null, 0.05, "empty result", "t"));
    RolloutController c = controller(lifecycle());
    c.start();
    for (int i = 0; i < 20; i++) {
      assertThat(interval(c, HEALTHY)).isEqualTo(Outcome.INCONCLUSIVE);
    }
    assertThat(c.status().step()).isZero();
    assertThat(c.status().state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(c.status().consecutiveFailures()).isZero();
    // a latency FAIL stays a FAIL (on fresh evidence: the 20 healthy looks would dilute it)
    assertThat(c.restart().ok()).isTrue();
    assertThat(interval(c, REGRESSED)).isEqualTo(Outcome.FAIL);
  }

  @Test
  void aNewRevisionStartsANewRolloutButAKnownOneDoesNot() {
    RolloutController c = controller(lifecycle());
    c.start();
    assertThat(c.onRevision("v1")).isFalse(); // the first one seen is the current rollout's
    assertThat(c.status().revision()).isEqualTo("v1");
    for (int i = 0; i < 3; i++) {
      interval(c, REGRESSED);
    }
    assertThat(c.status().state()).isEqualTo(RolloutState.ROLLED_BACK);

    assertThat(c.onRevision("v2")).isTrue();

    RolloutStatus s = c.status();
    assertThat(s.state()).isEqualTo(RolloutState.PROGRESSING);
    assertThat(s.canaryPercent()).isEqualTo(1.0);
    assertThat(s.revision()).isEqualTo("v2");
    assertThat(s.reason()).isEqualTo("new canary revision v2 (was v1)");
    assertThat(s.history())
        .singleElement()
        .satisfies(r -> assertThat(r.revision()).isEqualTo("v1"));
    // a straggler answering with the old version does not flap the rollout back
    assertThat(c.onRevision("v1")).isFalse();
    assertThat(c.onRevision(" v2 ")).isFalse();
    assertThat(c.status().attempt()).isEqualTo(2);
  }

  /** Gates the test opens and fails by hand. */
  private static final class ManualGates implements Gatekeeper {
    final List<GateStage> stages = new ArrayList<>();
    final List<Pending> waits = new CopyOnWriteArrayList<>();

    @Override
    public boolean has(GateStage stage) {
      return stages.contains(stage);
    }

    @Override
    public Wait await(GateStage stage, Listener listener) {
      Pending p = new Pending(listener);
      waits.add(p);
      return p;
    }

    Pending last() {
      return waits.get(waits.size() - 1);
    }

    static final class Pending implements Wait {
      final Listener listener;
      volatile boolean cancelled;

      Pending(Listener listener) {
        this.listener = listener;
      }

      void passed(String detail) {
        listener.passed(detail);
      }

      void failed(String why) {
        listener.failed(why);
      }

      @Override
      public void cancel() {
        cancelled = true;
      }
    }
  }
}
