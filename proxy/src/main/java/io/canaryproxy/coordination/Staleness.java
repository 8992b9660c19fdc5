package io.canaryproxy.coordination;

import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.config.CoordinationConfig.FailSafe;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether this replica is cut off from the fleet store, since when, and the fail-safe that goes
 * with it. A failed call alone does not make the replica stale: the store is out of reach once no
 * call has succeeded for {@code leaseTtl} (by then this replica's lease, and any leadership it
 * held, may be gone), so that a member that dies, or the store's own leader election (about a
 * second for etcd), is ridden out through the other members without a {@code stale} blip. Then,
 * with {@code failSafe: stable}, once {@code staleAfter} has passed, every user goes to stable
 * (through the {@link FailSafeSink}) until the store answers again.
 */
final class Staleness {
  private static final Logger log = LoggerFactory.getLogger(Staleness.class);

  private final CoordinationConfig config;
  private final Clock clock;
  private volatile Instant since;
  private volatile Instant lastContact;
  private volatile FailSafeSink sink;

  Staleness(CoordinationConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
  }

  /** The sink the fail-safe acts on. */
  void sink(FailSafeSink sink) {
    this.sink = sink;
  }

  /** Whether the store is unreachable now. */
  boolean stale() {
    return since != null;
  }

  /** Whether the fail-safe sends every user to stable now. */
  boolean holdingStable() {
    FailSafeSink s = sink;
    return s != null && s.holdingStable();
  }

  /** The store answered: not stale any more, and the fail-safe lets go. */
  void contact() {
    lastContact = clock.instant();
    Instant was = since;
    if (was != null) {
      log.info("fleet store reachable again after {}", Duration.between(was, clock.instant()));
      since = null;
      FailSafeSink s = sink;
      if (s != null) {
        s.release();
      }
    }
  }

  /**
   * The store did not answer: stale from now if nothing answered for {@code leaseTtl} (or ever),
   * unless already.
   */
  void lost(Exception e, Supplier<Object> canaryPercent) {
    Instant now = clock.instant();
    Instant last = lastContact;
    if (since == null && (last == null || !now.isBefore(last.plus(config.leaseTtl())))) {
      since = now;
      log.warn(
          "fleet store unreachable ({}); routing by the last state seen (canary {}%)",
          e.getMessage(), canaryPercent.get());
    }
  }

  /**
   * Applies {@code failSafe: stable} once the store has been unreachable for {@code staleAfter}.
   */
  void applyFailSafe() {
    Instant s = since;
    FailSafeSink target = sink;
    if (s != null
        && config.failSafe() == FailSafe.STABLE
        && target != null
        && !target.holdingStable()
        && !clock.instant().isBefore(s.plus(config.staleAfter()))) {
      log.warn(
          "fleet store unreachable for {}: failSafe: stable sends every user to stable",
          config.staleAfter());
      target.holdStable();
    }
  }
}
