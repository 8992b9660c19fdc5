package io.canaryproxy.routing;

import static io.canaryproxy.routing.FakeRequest.request;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.routing.RoutingResult.Reason;
import org.junit.jupiter.api.Test;

/** {@code routing.experiments}: arms hold disjoint bucket ranges from the top down. */
class ExperimentRoutingTest {
  private static final String POOLS =
      "backends: {stable: {endpoints: [\"h:1\"]}, canary: {endpoints: [\"h:2\"]}, b: {endpoints:"
          + " [\"h:3\"]}, c: {endpoints: [\"h:4\"]}}\n";

  private static RoutingTable table(String routing) {
    try {
      return RoutingTable.compile(
          ConfigLoader.parse(POOLS + "routing: " + routing + "\n").routing());
    } catch (ConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  private static final String ARMS =
      "{userKey: [{header: x-user-id}], salt: ab, canaryPercent: 10, experiments: [{name: arm-b,"
          + " backend: b, percent: 10}, {name: arm-c, backend: c, percent: 5.5}]}";

  /** The oracle: the arm or variant a bucket belongs to, from the documented ranges. */
  private static String expected(int bucket, double canaryPercent) {
    if (bucket >= 9000) {
      return "arm-b";
    }
    if (bucket >= 8450) {
      return "arm-c";
    }
    return Cohorts.inCanary(bucket, canaryPercent) ? "canary" : "stable";
  }

  @Test
  void everyUserLandsWhereItsBucketSays() {
    RoutingTable t = table(ARMS);
    int[] seen = new int[4];
    for (int u = 0; u < 20_000; u++) {
      String user = "user-" + u;
      RoutingResult r = new RoutingResult();
      t.route(request().header("x-user-id", user), r);
      String want = expected(Cohorts.bucket("ab", user), 10);
      assertThat(r.label()).as(user).isEqualTo(want);
      switch (want) {
        case "arm-b" -> {
          assertThat(r.backend).isEqualTo("b");
          assertThat(r.variant).isEqualTo(Variant.OTHER);
          assertThat(r.reason).isEqualTo(Reason.EXPERIMENT);
          seen[0]++;
        }
        case "arm-c" -> {
          assertThat(r.backend).isEqualTo("c");
          seen[1]++;
        }
        case "canary" -> seen[2]++;
        default -> {
          assertThat(r.arm).isNull();
          seen[3]++;
        }
      }
    }
    // 10%, 5.5%, 10%, 74.5% of 20,000 users, each well within 5 sigma
    assertThat(seen[0]).isBetween(1800, 2200);
    assertThat(seen[1]).isBetween(950, 1250);
    assertThat(seen[2]).isBetween(1800, 2200);
    assertThat(seen[3]).isBetween(14600, 15200);
  }

  @Test
  void raisingTheCanaryNeverTakesAUserOutOfAnArm() {
    RoutingTable at10 = table(ARMS);
    RoutingTable at100 = at10.withCanaryPercent(100);
    for (int u = 0; u < 5_000; u++) {
      FakeRequest req = request().header("x-user-id", "user-" + u);
      RoutingResult before = new RoutingResult();
      RoutingResult after = new RoutingResult();
      at10.route(req, before);
      at100.route(req, after);
      if (before.arm != null) {
        assertThat(after.arm).isEqualTo(before.arm);
      } else {
        assertThat(after.variant).isEqualTo(Variant.CANARY);
      }
    }
    assertThat(at100.armNames()).containsExactly("arm-b", "arm-c");
  }

  @Test
  void rulesOverridesAndAnonymousRequestsStayOutsideTheArms() {
    RoutingTable t =
        table(
            "{userKey: [{header: x-user-id}], experiments: [{name: all, backend: b, percent: 100}],"
                + " rules: [{match: {path: {prefix: /admin/}}, to: stable}]}");
    RoutingResult r = new RoutingResult();
    t.route(request().header("x-user-id", "u1"), r);
    assertThat(r.arm).isEqualTo("all");
    t.route(request().header("x-user-id", "u1").path("/admin/x"), r);
    assertThat(r.arm).isNull();
    assertThat(r.reason).isEqualTo(Reason.RULE);
    t.route(request(), r);
    assertThat(r.arm).isNull();
    assertThat(r.variant).isEqualTo(Variant.STABLE);
  }

  @Test
  void aTrustedPeerMayPropagateAnArmByName() {
    RoutingTable t =
        table(
            "{userKey: [{header: x-user-id}], propagate: {trustInbound: [\"10.0.0.0/8\"]},"
                + " experiments: [{name: arm-b, backend: b, percent: 10}, {name: paused, backend: c,"
                + " percent: 0}]}");
    RoutingResult r = new RoutingResult();
    t.route(request().header("x-canary-variant", "arm-b").from("10.0.0.1"), r);
    assertThat(r.arm).isEqualTo("arm-b");
    assertThat(r.reason).isEqualTo(Reason.PROPAGATED);
    t.route(request().header("x-canary-variant", "paused").from("10.0.0.1"), r);
    assertThat(r.arm).as("an arm with no share takes nobody").isNull();
    t.route(request().header("x-canary-variant", "arm-b").from("192.0.2.1"), r);
    assertThat(r.arm).isNull();
  }
}
