package io.canaryproxy.analysis;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Where a rollout stands. The JSON names ({@link #jsonName()}) are public contract ({@code
 * docs/contract.md}).
 */
public enum RolloutState {
  /** No rollout configured, or not started yet. */
  IDLE("idle"),
  /** The canary is being judged and moves up the steps. */
  PROGRESSING("progressing"),
  /** Held at the current step: by an operator, or by {@code onFailure: pause}. */
  PAUSED("paused"),
  /** Every step passed; the canary keeps the last step's share. */
  PROMOTED("promoted"),
  /** The canary gets no traffic; this survives restarts. */
  ROLLED_BACK("rolledBack");

  private final String jsonName;

  RolloutState(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The name used in JSON, logs and the state file. */
  @JsonValue
  public String jsonName() {
    return jsonName;
  }

  /** Parses a JSON name such as {@code rolledBack}. */
  @JsonCreator
  public static RolloutState fromJson(String name) {
    for (RolloutState s : values()) {
      if (s.jsonName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "state: " + name + " (expected: idle, progressing, paused, promoted or rolledBack)");
  }
}
