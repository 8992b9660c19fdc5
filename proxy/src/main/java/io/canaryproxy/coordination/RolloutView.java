package io.canaryproxy.coordination;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import io.canaryproxy.analysis.RolloutStatus;

/**
 * The body of {@code GET /admin/rollout}: the rollout's status fields, plus {@code coordination}.
 *
 * @param status the rollout, rendered inline
 * @param coordination how this replica takes part in the fleet's rollout
 */
public record RolloutView(@JsonUnwrapped RolloutStatus status, CoordinationStatus coordination) {

  /** The {@code coordination} of a single replica with its state file. */
  public static CoordinationStatus single(String replicaId) {
    return new CoordinationStatus(
        "file", replicaId, replicaId, true, null, false, false, 0, 0, null);
  }
}
