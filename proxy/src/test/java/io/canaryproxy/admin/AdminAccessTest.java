package io.canaryproxy.admin;

import static io.canaryproxy.admin.AdminAccess.Decision.ALLOW;
import static io.canaryproxy.admin.AdminAccess.Decision.FORBIDDEN;
import static io.canaryproxy.admin.AdminAccess.Decision.UNAUTHORIZED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.canaryproxy.admin.AdminAccess.Decision;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The admin access rules, one row per case: listener, request, decision. */
class AdminAccessTest {
  private static final String CONTROL = "c0ntrol-token";
  private static final String READ = "r3ad-token";
  private static final String NONE = null;
  private static final boolean READS = false;
  private static final boolean MUTATES = true;

  private static AdminAccess listener(String kind) {
    return switch (kind) {
      case "loopback" -> new AdminAccess(true, false, CONTROL, READ);
      case "loopback, no token" -> new AdminAccess(true, false, null, null);
      case "public" -> new AdminAccess(false, false, CONTROL, READ);
      case "public, publicMetrics" -> new AdminAccess(false, true, CONTROL, READ);
      case "public, no token" -> new AdminAccess(false, true, null, null);
      default -> throw new IllegalArgumentException(kind);
    };
  }

  static Stream<Arguments> cases() {
    String control = "Bearer " + CONTROL;
    String read = "Bearer " + READ;
    return Stream.of(
        // loopback: reads open; mutations need the control token when one is configured
        arguments("loopback", "/healthz", READS, NONE, ALLOW),
        arguments("loopback", "/metrics", READS, NONE, ALLOW),
        arguments("loopback", "/admin/config", READS, NONE, ALLOW),
        arguments("loopback", "/no/such/path", READS, NONE, ALLOW),
        arguments("loopback", "/admin/rollout/pause", MUTATES, NONE, UNAUTHORIZED),
        arguments("loopback", "/admin/rollout/pause", MUTATES, "Bearer wrong", UNAUTHORIZED),
        arguments("loopback", "/admin/rollout/pause", MUTATES, read, FORBIDDEN),
        arguments("loopback", "/admin/rollout/pause", MUTATES, control, ALLOW),
        arguments("loopback, no token", "/admin/rollout/pause", MUTATES, NONE, ALLOW),
        // off loopback: only health and readiness are open
        arguments("public", "/healthz", READS, NONE, ALLOW),
        arguments("public", "/readyz", READS, NONE, ALLOW),
        arguments("public", "/metrics", READS, NONE, UNAUTHORIZED),
        arguments("public", "/metrics", READS, read, ALLOW),
        arguments("public", "/admin/config", READS, NONE, UNAUTHORIZED),
        arguments("public", "/admin/config", READS, "Bearer wrong", UNAUTHORIZED),
        arguments("public", "/admin/config", READS, read, ALLOW),
        arguments("public", "/admin/config", READS, control, ALLOW),
        arguments("public", "/admin/stats", READS, NONE, UNAUTHORIZED),
        arguments("public", "/admin/endpoints", READS, NONE, UNAUTHORIZED),
        arguments("public", "/admin/rollout", READS, NONE, UNAUTHORIZED),
        arguments("public", "/admin/histograms", READS, NONE, UNAUTHORIZED),
        // unknown paths answer 401 before 404, so they cannot be probed
        arguments("public", "/no/such/path", READS, NONE, UNAUTHORIZED),
        arguments("public", "/no/such/path", READS, read, ALLOW),
        arguments("public", "/healthz/../admin/config", READS, NONE, UNAUTHORIZED),
        arguments("public", "/admin/rollout/pause", MUTATES, NONE, UNAUTHORIZED),
        arguments("public", "/admin/rollout/pause", MUTATES, read, FORBIDDEN),
        arguments("public", "/admin/rollout/pause", MUTATES, control, ALLOW),
        // the Authorization header
        arguments("public", "/admin/config", READS, "bearer " + CONTROL, ALLOW),
        arguments("public", "/admin/config", READS, "Bearer   " + READ + " ", ALLOW),
        arguments("public", "/admin/config", READS, "Basic " + CONTROL, UNAUTHORIZED),
        arguments("public", "/admin/config", READS, CONTROL, UNAUTHORIZED),
        arguments("public", "/admin/config", READS, "Bearer ", UNAUTHORIZED),
        arguments("public", "/admin/config", READS, "Bearer " + CONTROL + "x", UNAUTHORIZED),
        arguments("public", "/admin/config", READS, "Bearer " + CONTROL.substring(1), UNAUTHORIZED),
        // the scrape opt-in opens /metrics and nothing else
        arguments("public, publicMetrics", "/metrics", READS, NONE, ALLOW),
        arguments("public, publicMetrics", "/metrics/", READS, NONE, UNAUTHORIZED),
        arguments("public, publicMetrics", "/admin/stats", READS, NONE, UNAUTHORIZED),
        // fails closed: off loopback without tokens nothing but health, readiness (and the opt-in)
        arguments("public, no token", "/admin/config", READS, NONE, UNAUTHORIZED),
        arguments("public, no token", "/admin/config", READS, "Bearer ", UNAUTHORIZED),
        arguments("public, no token", "/metrics", READS, NONE, ALLOW));
  }

  @ParameterizedTest(name = "{0}: {1} mutates={2} auth={3} -> {4}")
  @MethodSource("cases")
  void decides(String listener, String path, boolean mutation, String auth, Decision expected) {
    assertThat(listener(listener).decide(path, mutation, auth)).isEqualTo(expected);
  }
}
