package io.canaryproxy.routing;

/**
 * Which variant served a request. This is a metric label, so it takes only these bounded values.
 */
public enum Variant {
  STABLE("stable"),
  CANARY("canary"),
  /** a rule sent the request to a backend that is neither the stable nor the canary one */
  OTHER("other"),
  /** a mirrored copy */
  SHADOW("shadow");

  private final String label;

  Variant(String label) {
    this.label = label;
  }

  /** The lower-case name used in metrics, JSON and headers. */
  public String label() {
    return label;
  }
}
