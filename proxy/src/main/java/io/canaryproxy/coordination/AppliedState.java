package io.canaryproxy.coordination;

import io.canaryproxy.analysis.RolloutStatus;
import java.time.Clock;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The stored state this replica routes by: its store revision and since when ({@code
 * appliedRevision} and {@code appliedAt} of {@code /admin/rollout}). Each change of state or step
 * is logged once, with the instant, so that the replicas' logs show when each one applied it.
 */
final class AppliedState {
  // the coordinator's logger, as before this part moved out of it: log lines keep their name
  private static final Logger log = LoggerFactory.getLogger(FleetCoordinator.class);

  private final Clock clock;
  private volatile long revision;
  private volatile Instant at;
  private String stage = "";

  AppliedState(Clock clock) {
    this.clock = clock;
  }

  /** The revision applied last; 0 before the first. */
  long revision() {
    return revision;
  }

  /** When the revision applied last was applied, or {@code null} before the first. */
  Instant at() {
    return at;
  }

  /**
   * Notes the state this replica routes by from now on (called under the controller's lock), and
   * logs it when its state or step moved.
   */
  void note(long revision, RolloutStatus status) {
    Instant now = clock.instant();
    this.revision = revision;
    this.at = now;
    String next = status.state().jsonName() + " " + status.step();
    if (!next.equals(stage)) {
      stage = next;
      log.info(
          "fleet rollout applied: {} at step {}, canary {}% (revision {}, at {})",
          status.state().jsonName(), status.step(), status.canaryPercent(), revision, now);
    }
  }
}
