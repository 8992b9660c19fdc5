package io.canaryproxy.analysis;

import com.fasterxml.jackson.annotation.JsonValue;

/**
 * Something a rollout did, as logged, counted and POSTed to the webhook (as this record's JSON).
 *
 * @param type what happened
 * @param at when, ISO-8601 UTC
 * @param state the state after the event
 * @param previousState the state before it
 * @param canaryPercent the canary share after the event, 0..100
 * @param step index of the current step in {@code steps} (the shadow gate, when on, is step 0)
 * @param manual true when an operator asked for it through the admin API
 * @param reason one human sentence
 * @param verdict the verdict that caused it, or {@code null}
 */
public record RolloutEvent(
    Type type,
    String at,
    RolloutState state,
    RolloutState previousState,
    double canaryPercent,
    int step,
    boolean manual,
    String reason,
    Verdict verdict) {

  /** Event types; the JSON names are bounded and safe as a metric tag. */
  public enum Type {
    STARTED("started"),
    STEP_ADVANCED("stepAdvanced"),
    PROMOTED("promoted"),
    PAUSED("paused"),
    RESUMED("resumed"),
    ROLLED_BACK("rolledBack"),
    VERDICT_FAILED("verdictFailed"),
    /** A new attempt from step 0: by an operator, or for a new canary revision. */
    RESTARTED("restarted"),
    /**
     * A step went {@code rollout.progressDeadline} without advancing; a pause or rollback follows.
     */
    PROGRESS_DEADLINE("progressDeadline"),
    /** A gate did not answer 2xx; the rollout keeps waiting at it. Once per wait. */
    GATE_FAILED("gateFailed");

    private final String tag;

    Type(String tag) {
      this.tag = tag;
    }

    /** The JSON name, also meant as the {@code type} metric tag. */
    @JsonValue
    public String tag() {
      return tag;
    }
  }
}
