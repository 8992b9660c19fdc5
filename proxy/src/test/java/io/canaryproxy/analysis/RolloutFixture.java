package io.canaryproxy.analysis;

import static io.canaryproxy.analysis.Samples.lognormal;
import static io.canaryproxy.analysis.Samples.side;

import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.config.RolloutConfig;
import io.canaryproxy.config.RolloutConfig.AnalysisConfig;
import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import org.HdrHistogram.Histogram;

/** A controller wired to a fake clock, a recording sink and a recording listener. */
final class RolloutFixture {
  static final Duration INTERVAL = Duration.ofSeconds(10);
  static final Duration STEP_INTERVAL = Duration.ofSeconds(60);

  private static final Random RNG = new Random(77);
  private static final Histogram STABLE = lognormal(RNG, 2000, 1.0);
  private static final Histogram SAME = lognormal(RNG, 2000, 1.0);
  private static final Histogram SLOW = lognormal(RNG, 2000, 1.5);

  /** Canary like stable: PASS. */
  static final JudgeInput HEALTHY = new JudgeInput(side(STABLE, 0), side(SAME, 0), null);

  /** Canary 50% slower: FAIL. */
  static final JudgeInput REGRESSED = new JudgeInput(side(STABLE, 0), side(SLOW, 0), null);

  /** Canary as fast as stable but 3% errors (stable none): FAIL on errors. */
  static final JudgeInput ERRORS = new JudgeInput(side(STABLE, 0), side(SAME, 60), null);

  /** No canary traffic: INCONCLUSIVE however many intervals accumulate. */
  static final JudgeInput SPARSE =
      new JudgeInput(side(STABLE, 0), side(Samples.newHistogram(), 0), null);

  /** Shadow like stable, no canary traffic: the shadow gate passes. */
  static final JudgeInput SHADOW_OK =
      new JudgeInput(
          side(STABLE, 0), side(Samples.newHistogram(), 0), new MirrorSample(400, 2, SAME));

  /** Shadow 50% slower: the shadow gate fails. */
  static final JudgeInput SHADOW_SLOW =
      new JudgeInput(
          side(STABLE, 0), side(Samples.newHistogram(), 0), new MirrorSample(400, 2, SLOW));

  final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T10:00:00Z"));
  final List<Double> percents = new CopyOnWriteArrayList<>();
  final List<RolloutEvent> events = new CopyOnWriteArrayList<>();
  final RolloutConfig config;
  final RolloutController controller;

  RolloutFixture(List<Double> steps, OnFailure onFailure, Path stateFile, boolean shadowGate) {
    this(steps, onFailure, stateFile, shadowGate, null, RolloutEventListener.NONE);
  }

  /** With {@code maxInconclusive} and {@code onInconclusive}. */
  RolloutFixture(List<Double> steps, Path stateFile, Duration maxInconclusive, OnFailure onInc) {
    this(
        steps,
        OnFailure.ROLLBACK,
        stateFile,
        false,
        null,
        RolloutEventListener.NONE,
        Samples.defaults().withInconclusive(maxInconclusive, onInc));
  }

  RolloutFixture(
      List<Double> steps,
      OnFailure onFailure,
      Path stateFile,
      boolean shadowGate,
      URI webhook,
      RolloutEventListener extra) {
    this(steps, onFailure, stateFile, shadowGate, webhook, extra, Duration.ZERO);
  }

  /** With {@code rollout.analysis.warmup} set to {@code warmup}. */
  RolloutFixture(List<Double> steps, Path stateFile, boolean shadowGate, Duration warmup) {
    this(steps, OnFailure.ROLLBACK, stateFile, shadowGate, null, RolloutEventListener.NONE, warmup);
  }

  private RolloutFixture(
      List<Double> steps,
      OnFailure onFailure,
      Path stateFile,
      boolean shadowGate,
      URI webhook,
      RolloutEventListener extra,
      Duration warmup) {
    this(steps, onFailure, stateFile, shadowGate, webhook, extra, Samples.defaults(warmup));
  }

  private RolloutFixture(
      List<Double> steps,
      OnFailure onFailure,
      Path stateFile,
      boolean shadowGate,
      URI webhook,
      RolloutEventListener extra,
      AnalysisConfig analysis) {
    config =
        new RolloutConfig(
            steps, STEP_INTERVAL, analysis, onFailure, stateFile, webhook, shadowGate);
    controller =
        new RolloutController(
            config, percents::add, RolloutEventListener.all(List.of(events::add, extra)), clock);
  }

  /** Advances the clock by one analysis interval and hands {@code in} to the controller. */
  Verdict.Outcome interval(JudgeInput in) {
    clock.advance(INTERVAL);
    return controller.onInterval(in).map(Verdict::outcome).orElse(null);
  }

  List<RolloutEvent.Type> eventTypes() {
    return events.stream().map(RolloutEvent::type).toList();
  }
}
