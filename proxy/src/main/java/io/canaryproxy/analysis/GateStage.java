package io.canaryproxy.analysis;

import com.fasterxml.jackson.annotation.JsonValue;

/** When a rollout waits at its gates ({@code rollout.gates}). */
public enum GateStage {
  /** Before the canary gets any traffic: at the start of a rollout and at each restart. */
  PRE_ROLLOUT("preRollout"),
  /** Before each further step, promotion excepted. */
  PRE_STEP("preStep"),
  /** Before the canary is promoted. */
  PRE_PROMOTION("prePromotion");

  private final String jsonName;

  GateStage(String jsonName) {
    this.jsonName = jsonName;
  }

  /** The YAML and JSON name. */
  @JsonValue
  public String jsonName() {
    return jsonName;
  }

  /** Parses a JSON name such as {@code preStep}. */
  @com.fasterxml.jackson.annotation.JsonCreator
  public static GateStage fromJson(String name) {
    for (GateStage s : values()) {
      if (s.jsonName.equals(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(
        "gate: " + name + " (expected: preRollout, preStep or prePromotion)");
  }
}
