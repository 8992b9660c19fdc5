package io.canaryproxy.config;

import java.time.Duration;
import java.util.List;

/**
 * The {@code routing} section.
 *
 * @param stable backend name of the stable variant; default {@code stable}
 * @param canary backend name of the canary variant; default {@code canary}
 * @param userKey where the user key comes from, in order; the first present wins
 * @param canaryPercent 0..100, the share of users sent to the canary; default 0
 * @param salt mixed into the cohort hash; default ""
 * @param anonymous what to do with requests that carry no user key; default {@link
 *     Anonymous#STABLE}
 * @param override trusted override header, or {@code null}
 * @param rules checked before the split, first match wins
 * @param exposeVariantHeader add {@code x-canary-variant} to responses; default false
 * @param anonymousCookie the cookie issued to anonymous visitors with {@link Anonymous#COOKIE}, or
 *     {@code null} for any other policy
 * @param propagate how the decision is passed downstream and honoured from trusted peers, or {@code
 *     null}
 */
public record RoutingConfig(
    String stable,
    String canary,
    List<UserKeySource> userKey,
    double canaryPercent,
    String salt,
    Anonymous anonymous,
    OverrideConfig override,
    List<RuleConfig> rules,
    boolean exposeVariantHeader,
    AnonymousCookie anonymousCookie,
    Propagate propagate,
    List<Arm> experiments) {

  /** The most arms {@code routing.experiments} may have: each arm is a metric label value. */
  public static final int MAX_ARMS = 8;

  public RoutingConfig {
    experiments = experiments == null ? List.of() : List.copyOf(experiments);
  }

  /** A routing section without an anonymous cookie or propagation. */
  public RoutingConfig(
      String stable,
      String canary,
      List<UserKeySource> userKey,
      double canaryPercent,
      String salt,
      Anonymous anonymous,
      OverrideConfig override,
      List<RuleConfig> rules,
      boolean exposeVariantHeader) {
    this(
        stable,
        canary,
        userKey,
        canaryPercent,
        salt,
        anonymous,
        override,
        rules,
        exposeVariantHeader,
        null,
        null,
        List.of());
  }

  /** This section with another canary share, 0..100. */
  public RoutingConfig withCanaryPercent(double percent) {
    return new RoutingConfig(
        stable,
        canary,
        userKey,
        percent,
        salt,
        anonymous,
        override,
        rules,
        exposeVariantHeader,
        anonymousCookie,
        propagate,
        experiments);
  }

  /** What happens to a request without a user key. */
  public enum Anonymous {
    /** always the stable variant */
    STABLE,
    /** split per request at random, with the canary share */
    SPLIT,
    /** issue a random id in a cookie and route by it, so the visitor keeps one version */
    COOKIE
  }

  /**
   * The cookie that carries an anonymous visitor's id ({@code routing.anonymousCookie}).
   *
   * @param name cookie name; default {@code cp_uid}
   * @param maxAge lifetime; zero makes a session cookie (no {@code Max-Age}); default 365 days
   * @param secure the {@code Secure} attribute; default false
   * @param httpOnly the {@code HttpOnly} attribute; default true
   * @param sameSite {@code Strict}, {@code Lax} or {@code None}; default {@code Lax}
   */
  public record AnonymousCookie(
      String name, Duration maxAge, boolean secure, boolean httpOnly, String sameSite) {
    /** The defaults. */
    public static final AnonymousCookie DEFAULT =
        new AnonymousCookie("cp_uid", Duration.ofDays(365), false, true, "Lax");
  }

  /**
   * {@code routing.propagate}: the chosen variant travels with the request to the backend, and a
   * variant chosen by a trusted peer upstream is honoured.
   *
   * @param header request header (lower case) that carries the variant; default {@code
   *     x-canary-variant}
   * @param baggage also carry it as a W3C {@code baggage} member keyed by {@code header}; default
   *     false
   * @param trustInbound client addresses (CIDRs) whose header or baggage member is honoured; from
   *     others it is removed. Default: none
   */
  public record Propagate(String header, boolean baggage, List<String> trustInbound) {}

  /**
   * One arm of {@code routing.experiments}: users whose cohort bucket falls in the arm's range go
   * to {@code backend}. Arms take disjoint bucket ranges from the top (bucket 9999) down, in order,
   * so they never meet the canary's range, which grows from bucket 0 up.
   *
   * @param name the arm's label in metrics, JSON and the propagated header: lower case, 1..32
   *     characters
   * @param backend backend name, other than the stable and canary ones
   * @param percent 0..100 (0.01 steps), the share of users in the arm
   */
  public record Arm(String name, String backend, double percent) {}

  /**
   * One place a user key can come from: a request header, a cookie, or the client certificate
   * verified by the TLS listener. Names of headers are lower case; for {@link Kind#CLIENT_CERT} the
   * name is {@code subject} (the RFC 2253 subject DN) or {@code san} (the first subject alternative
   * name).
   */
  public record UserKeySource(Kind kind, String name) {
    public enum Kind {
      HEADER,
      COOKIE,
      CLIENT_CERT
    }
  }

  /**
   * @param header header name (lower case) whose value {@code canary} or {@code stable} forces the
   *     variant
   * @param trustedCidrs client addresses allowed to use it; from others the header is removed and
   *     ignored
   * @param trustForwardedFor 0: the client address is the connection's peer (or the PROXY protocol
   *     source); N &gt; 0: the N-th address from the right of {@code X-Forwarded-For}, as written
   *     by N trusted hops in front of the proxy (a shorter header is never trusted). Default 0.
   */
  public record OverrideConfig(String header, List<String> trustedCidrs, int trustForwardedFor) {

    /** An override trusted by peer address. */
    public OverrideConfig(String header, List<String> trustedCidrs) {
      this(header, trustedCidrs, 0);
    }
  }

  /**
   * A rule: when every present condition matches, the request goes to backend {@code to}.
   *
   * @param header header condition or {@code null}
   * @param cookie cookie condition or {@code null}
   * @param path path condition or {@code null}
   * @param to backend name
   */
  public record RuleConfig(NamedMatch header, NamedMatch cookie, StringMatch path, String to) {}

  /** A condition on a named header or cookie. */
  public record NamedMatch(String name, StringMatch match) {}

  /** How a value is matched. {@code value} is unused for {@link Op#PRESENT}. */
  public record StringMatch(Op op, String value) {
    public enum Op {
      EQUALS,
      PREFIX,
      REGEX,
      PRESENT
    }
  }
}
