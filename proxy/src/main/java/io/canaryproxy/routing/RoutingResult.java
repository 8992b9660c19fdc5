package io.canaryproxy.routing;

/**
 * Where one request goes and why. Mutable and reused, so that a routing decision allocates nothing;
 * the router overwrites every field on each call.
 */
public final class RoutingResult {
  /** Why the request went where it did. */
  public enum Reason {
    RULE,
    OVERRIDE,
    COHORT,
    ANONYMOUS,
    /** a trusted peer upstream chose the variant ({@code routing.propagate}) */
    PROPAGATED,
    /** the user's bucket is in the range of an arm of {@code routing.experiments} */
    EXPERIMENT
  }

  /** Backend name the request goes to. */
  public String backend;

  /** Variant label of that backend. */
  public Variant variant;

  /** The user's cohort bucket, 0..9999, or -1 when the request carried no user key. */
  public int bucket;

  /** The user key, or {@code null}: a string, or until {@link #userKey()} reads it, a view. */
  private CharSequence userKey;

  public Reason reason;

  /**
   * True when the request carried the override header from an untrusted address: the proxy removes
   * it.
   */
  public boolean stripOverride;

  /**
   * With {@code anonymous: cookie}, the {@code Set-Cookie} value that gives a new visitor the id in
   * {@link #userKey()}; {@code null} when the request carried a key.
   */
  public String setCookie;

  /**
   * The arm of {@code routing.experiments} the request went to ({@link #variant} is then {@link
   * Variant#OTHER}), or {@code null}.
   */
  public String arm;

  /**
   * The user key, or {@code null}. A key the router took as a view of the request's bytes becomes a
   * string here, once: read it while the request is current (listeners of the exchange do).
   */
  public String userKey() {
    CharSequence k = userKey;
    if (k == null || k instanceof String) {
      return (String) k;
    }
    String s = k.toString();
    userKey = s;
    return s;
  }

  /**
   * Sets the user key: a string, or a view of the request's bytes that stays valid while the
   * request is current (see {@link RequestView#headerValue}).
   */
  public void userKey(CharSequence key) {
    userKey = key;
  }

  /** Forgets the last decision, as a new result (the router overwrites every field anyway). */
  public void clear() {
    backend = null;
    variant = null;
    bucket = 0;
    userKey = null;
    reason = null;
    stripOverride = false;
    setCookie = null;
    arm = null;
  }

  /** Copies this decision into {@code to}. */
  public void copyTo(RoutingResult to) {
    to.backend = backend;
    to.variant = variant;
    to.bucket = bucket;
    to.userKey = userKey();
    to.reason = reason;
    to.stripOverride = stripOverride;
    to.setCookie = setCookie;
    to.arm = arm;
  }

  /**
   * The label that names where the request went: the arm's name, else the variant's label ({@code
   * null} before a request was routed).
   */
  public String label() {
    return arm != null ? arm : variant == null ? null : variant.label();
  }
}
