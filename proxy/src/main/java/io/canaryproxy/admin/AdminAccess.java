package io.canaryproxy.admin;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Set;

/**
 * Who may call which admin endpoint: a pure decision from the listener's address, the tokens, the
 * request path, whether it is a mutation and its {@code Authorization} header. It is made before
 * routing, so an unknown path answers 401 before 404 and paths cannot be probed.
 *
 * <ul>
 *   <li>{@code /healthz} and {@code /readyz} are always open.
 *   <li>A mutation needs the control token when one is configured; the read token gets 403.
 *   <li>On a loopback listener every other call is open.
 *   <li>Off loopback every other call needs the control or the read token, except {@code /metrics}
 *       when {@code admin.publicMetrics} is set.
 * </ul>
 */
final class AdminAccess {
  /** What to do with a request. */
  enum Decision {
    ALLOW,
    /** 401 with {@code WWW-Authenticate: Bearer}: no token, or a wrong one. */
    UNAUTHORIZED,
    /** 403: the read token on a mutation. */
    FORBIDDEN
  }

  private static final Set<String> ALWAYS_OPEN = Set.of("/healthz", "/readyz");
  private static final String METRICS = "/metrics";
  private static final String BEARER = "Bearer ";

  private final boolean loopback;
  private final boolean publicMetrics;
  private final byte[] control;
  private final byte[] read;

  /**
   * @param loopback whether the admin listener is bound to a loopback address
   * @param publicMetrics whether {@code /metrics} is open off loopback
   * @param controlToken the token that allows everything, or {@code null}
   * @param readToken the token that allows reads only, or {@code null}
   */
  AdminAccess(boolean loopback, boolean publicMetrics, String controlToken, String readToken) {
    this.loopback = loopback;
    this.publicMetrics = publicMetrics;
    this.control = controlToken == null ? null : sha256(controlToken);
    this.read = readToken == null ? null : sha256(readToken);
  }

  /** Loopback, no tokens: everything open, as before any token is configured. */
  static AdminAccess open() {
    return new AdminAccess(true, false, null, null);
  }

  /**
   * @param path the decoded request path
   * @param mutation whether the request would reach a mutating route
   * @param authorization the {@code Authorization} header, or {@code null}
   */
  Decision decide(String path, boolean mutation, String authorization) {
    if (ALWAYS_OPEN.contains(path)) {
      return Decision.ALLOW;
    }
    byte[] presented = bearer(authorization);
    // Both comparisons always run, on fixed-length digests and in constant time, so the timing
    // reveals neither which token matched nor a token's content or length.
    boolean isControl =
        presented != null && control != null && MessageDigest.isEqual(control, presented);
    boolean isRead = presented != null && read != null && MessageDigest.isEqual(read, presented);
    if (mutation) {
      if (control == null || isControl) {
        return Decision.ALLOW;
      }
      return isRead ? Decision.FORBIDDEN : Decision.UNAUTHORIZED;
    }
    if (loopback || isControl || isRead || (publicMetrics && path.equals(METRICS))) {
      return Decision.ALLOW;
    }
    return Decision.UNAUTHORIZED;
  }

  private static byte[] bearer(String authorization) {
    if (authorization == null
        || authorization.length() < BEARER.length()
        || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
      return null;
    }
    String token = authorization.substring(BEARER.length()).trim();
    return token.isEmpty() ? null : sha256(token);
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
