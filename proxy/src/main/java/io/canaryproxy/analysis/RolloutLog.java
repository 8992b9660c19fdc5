package io.canaryproxy.analysis;

import java.io.IOException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What {@link RolloutController} logs, under its logger name: each verdict at a level that follows
 * its weight (a counted FAIL warns, a FAIL set aside by the warm-up informs, the rest is debug),
 * and each event with its transition; the gates that passed; and the delivery of events to a
 * listener that may throw, and of the status to a store that may fail.
 */
final class RolloutLog {
  private static final Logger log = LoggerFactory.getLogger(RolloutController.class);

  private RolloutLog() {}

  /** Logs {@code v}, judged at {@code step} with the canary at {@code percent}. */
  static void verdict(Verdict v, int step, double percent) {
    if (v.outcome() == Verdict.Outcome.FAIL && v.ignored()) {
      log.info("{} look failed at step {} ({}%): {}", v.comparison(), step, percent, v.reason());
    } else if (v.outcome() == Verdict.Outcome.FAIL) {
      log.warn("{} look FAILED at step {} ({}%): {}", v.comparison(), step, percent, v.reason());
    } else {
      log.debug("{} look {} at step {}: {}", v.comparison(), v.outcome(), step, v.reason());
    }
  }

  /** Logs {@code e} (a verdictFailed event was logged with its verdict) and hands it over. */
  static void deliver(RolloutEvent e, RolloutEventListener listener) {
    if (e.type() != RolloutEvent.Type.VERDICT_FAILED) {
      log.info(
          "rollout {}: {} -> {}, canary {}% at step {}{}: {}",
          e.type().tag(),
          e.previousState().jsonName(),
          e.state().jsonName(),
          e.canaryPercent(),
          e.step(),
          e.manual() ? " (manual)" : "",
          e.reason());
    }
    try {
      listener.onEvent(e);
    } catch (RuntimeException ex) {
      log.warn("rollout event listener failed on {}", e.type().tag(), ex);
    }
  }

  /** Logs that {@code stage}'s gates passed, with the gatekeeper's {@code detail}. */
  static void gatesPassed(GateStage stage, String detail) {
    log.info("rollout gates {} passed: {}", stage.jsonName(), detail);
  }

  /** Writes {@code status} to {@code store}; a failure is logged, never thrown. */
  static void save(RolloutStore store, Supplier<RolloutStatus> status) {
    try {
      store.save(status.get());
    } catch (RolloutStore.ConflictException e) {
      log.info("rollout state not stored, another replica changed it first: {}", e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.error("could not write the rollout state to {}", store.describe(), e);
    }
  }
}
