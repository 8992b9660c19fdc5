package io.canaryproxy.coordination;

import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.coordination.FleetDocument.Contribution;
import io.canaryproxy.coordination.FleetDocument.ReplicaReport;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a replica knows of the fleet beside the rollout state: on the leader, which replicas
 * reported lately and how many contributed to each verdict (it merges their evidence and writes
 * both into the stored {@link FleetDocument}); on a follower, what the leader last wrote.
 * Thread-safe.
 */
final class FleetLedger {
  private static final Logger log = LoggerFactory.getLogger(FleetLedger.class);
  private static final int CONTRIBUTIONS_KEPT = RolloutController.VERDICTS_KEPT;

  private final Clock clock;
  private final Duration forgetAfter;
  private final Map<String, Instant> reports = new LinkedHashMap<>();
  private final ArrayDeque<Contribution> contributions = new ArrayDeque<>();
  private volatile List<ReplicaReport> followed = List.of();
  private volatile int pendingContributors;
  private volatile int lastContributors;

  /**
   * @param forgetAfter how long a replica that stopped reporting stays in the list
   */
  FleetLedger(Clock clock, Duration forgetAfter) {
    this.clock = clock;
    this.forgetAfter = forgetAfter;
  }

  /**
   * Merges the intervals in {@code evidence} that were routed by {@code step}, noting every replica
   * that reported; the merged input carries how many replicas contributed into the next {@link
   * #document}. Empty when no interval of that step arrived.
   */
  Optional<JudgeInput> merge(List<byte[]> evidence, int step) {
    List<JudgeInput> parts = new ArrayList<>();
    Set<String> contributors = new LinkedHashSet<>();
    for (byte[] value : evidence) {
      try {
        Evidence e = Evidence.decode(value);
        synchronized (reports) {
          reports.put(e.replica(), Instant.parse(e.at()));
        }
        if (e.step() == step) { // an interval routed by another step says nothing of this one
          parts.add(e.input());
          contributors.add(e.replica());
        }
      } catch (IOException | RuntimeException e) {
        log.warn("dropping malformed evidence: {}", e.getMessage());
      }
    }
    if (parts.isEmpty()) {
      return Optional.empty();
    }
    pendingContributors = contributors.size();
    return Optional.of(Evidence.merge(parts));
  }

  /** The document that stores {@code status}, written by {@code writer}. */
  FleetDocument document(RolloutStatus status, String writer, boolean leading) {
    int n = pendingContributors;
    if (n > 0 && !status.verdicts().isEmpty()) {
      pendingContributors = 0;
      lastContributors = n;
      synchronized (contributions) {
        contributions.addLast(
            new Contribution(status.verdicts().get(status.verdicts().size() - 1).at(), n));
        while (contributions.size() > CONTRIBUTIONS_KEPT) {
          contributions.removeFirst();
        }
      }
    }
    List<Contribution> kept;
    synchronized (contributions) {
      kept = List.copyOf(contributions);
    }
    return new FleetDocument(status, writer, replicas(leading), kept);
  }

  /** Notes what the leader wrote in a document this replica follows. */
  void followed(FleetDocument doc) {
    followed = doc.replicas();
    if (!doc.contributions().isEmpty()) {
      lastContributors = doc.contributions().get(doc.contributions().size() - 1).replicas();
    }
  }

  /** The replicas heard of lately: this one's own list when leading, else the leader's. */
  List<ReplicaReport> replicas(boolean leading) {
    if (!leading) {
      return followed;
    }
    Instant cutoff = clock.instant().minus(forgetAfter);
    List<ReplicaReport> out = new ArrayList<>();
    synchronized (reports) {
      reports.values().removeIf(at -> at.isBefore(cutoff));
      reports.forEach((id, at) -> out.add(new ReplicaReport(id, at.toString())));
    }
    return out;
  }

  /** How many replicas contributed to the last verdict. */
  int lastContributors() {
    return lastContributors;
  }
}
