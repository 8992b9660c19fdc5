package io.canaryproxy.coordination;

import io.canaryproxy.analysis.RolloutStatus;
import java.util.List;

/**
 * What the fleet store holds under {@code PREFIX/ctl/state}: the rollout state every replica routes
 * by, plus what the leader last saw of the fleet.
 *
 * @param status the rollout state, as the state file holds it
 * @param leader the id of the replica that wrote it when it was the leader, or of the replica whose
 *     operator call changed it
 * @param replicas the replicas whose evidence the leader received recently, with when
 * @param contributions for each recent verdict (by its {@code at}), how many replicas' intervals
 *     were merged into it
 */
public record FleetDocument(
    RolloutStatus status,
    String leader,
    List<ReplicaReport> replicas,
    List<Contribution> contributions) {

  public FleetDocument {
    replicas = replicas == null ? List.of() : List.copyOf(replicas);
    contributions = contributions == null ? List.of() : List.copyOf(contributions);
  }

  /**
   * One replica seen by the leader.
   *
   * @param id the replica's id
   * @param lastReport when its last interval arrived, ISO-8601 UTC
   */
  public record ReplicaReport(String id, String lastReport) {}

  /**
   * How many replicas contributed to one verdict.
   *
   * @param at the verdict's {@code at}
   * @param replicas replicas whose interval was merged
   */
  public record Contribution(String at, int replicas) {}
}
