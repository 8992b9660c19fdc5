package io.canaryproxy.coordination;

import java.util.List;

/**
 * The {@code coordination} object of {@code GET /admin/rollout}.
 *
 * @param store {@code file} or {@code etcd}
 * @param replica this replica's id
 * @param leader the leader's id as last seen ({@code null} when unknown; with {@code file}, this
 *     replica)
 * @param isLeader whether this replica leads (judges and writes) now
 * @param replicas the replicas that reported recently, per the leader
 * @param stale true while this replica cannot reach the store: it routes by the last state it saw
 *     (or by stable with {@code failSafe: stable} once {@code staleAfter} has passed)
 * @param failSafe true while {@code failSafe: stable} sends every user to stable
 * @param lastContributors how many replicas contributed to the latest verdict (0 before the first)
 * @param appliedRevision the store revision of the rollout state this replica routes by (0 before
 *     the first, and with {@code file})
 * @param appliedAt when this replica began routing by that state, ISO-8601 UTC: for the replica
 *     that wrote it, when the store accepted the write; for the others, when the watch delivered it
 *     ({@code null} before the first, and with {@code file})
 */
public record CoordinationStatus(
    String store,
    String replica,
    String leader,
    boolean isLeader,
    List<FleetDocument.ReplicaReport> replicas,
    boolean stale,
    boolean failSafe,
    int lastContributors,
    long appliedRevision,
    String appliedAt) {

  public CoordinationStatus {
    replicas = replicas == null ? List.of() : List.copyOf(replicas);
  }
}
