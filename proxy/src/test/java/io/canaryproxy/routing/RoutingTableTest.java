package io.canaryproxy.routing;

import static io.canaryproxy.routing.FakeRequest.request;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.routing.RoutingResult.Reason;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class RoutingTableTest {
  private static final String POOLS =
      "backends: {stable: {endpoints: [\"h:1\"]}, canary: {endpoints: [\"h:2\"]}, beta: {endpoints:"
          + " [\"h:3\"]}}\n";

  /** Compiles the routing section given in YAML flow style, validated by the real loader. */
  static RoutingTable table(String routing) {
    try {
      return RoutingTable.compile(
          ConfigLoader.parse(POOLS + "routing: " + routing + "\n").routing());
    } catch (ConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
  }

  static RoutingResult route(RoutingTable table, FakeRequest request) {
    RoutingResult out = new RoutingResult();
    out.backend = "garbage";
    out.bucket = 12345;
    out.userKey("garbage");
    out.stripOverride = true;
    table.route(request, out);
    return out;
  }

  static Stream<Arguments> rules() {
    String header = "{rules: [{match: {header: {name: X-Beta, %s}}, to: canary}]}";
    String cookie = "{rules: [{match: {cookie: {name: grp, %s}}, to: canary}]}";
    String path = "{rules: [{match: {path: {%s}}, to: canary}]}";
    return Stream.of(
        arguments(
            String.format(header, "equals: \"true\""), request().header("x-beta", "true"), true),
        arguments(
            String.format(header, "equals: \"true\""), request().header("x-beta", "TRUE"), false),
        arguments(String.format(header, "equals: \"true\""), request(), false),
        arguments(String.format(header, "prefix: v2"), request().header("x-beta", "v2.1"), true),
        arguments(String.format(header, "prefix: v2"), request().header("x-beta", "v1.2"), false),
        arguments(
            String.format(header, "regex: \"v[0-9]+\""), request().header("x-beta", "v42"), true),
        arguments(
            String.format(header, "regex: \"v[0-9]+\""),
            request().header("x-beta", "v42-rc"),
            false),
        arguments(
            String.format(header, "regex: \"v[0-9]+\""), request().header("x-beta", "xv42"), false),
        arguments(String.format(header, "present: true"), request().header("x-beta", ""), true),
        arguments(String.format(header, "present: true"), request(), false),
        arguments(
            String.format(cookie, "equals: beta"),
            request().header("cookie", "a=1; grp=beta"),
            true),
        arguments(
            String.format(cookie, "equals: beta"), request().header("cookie", "xgrp=beta"), false),
        arguments(
            String.format(cookie, "equals: beta"), request().header("cookie", "grp=alpha"), false),
        arguments(String.format(cookie, "equals: beta"), request(), false),
        arguments(String.format(cookie, "present: true"), request().header("cookie", "grp="), true),
        arguments(
            String.format(cookie, "present: true"), request().header("cookie", "group=x"), false),
        arguments(String.format(path, "equals: /api"), request().path("/api"), true),
        arguments(String.format(path, "equals: /api"), request().path("/api/"), false),
        arguments(String.format(path, "prefix: /api/"), request().path("/api/users"), true),
        arguments(String.format(path, "prefix: /api/"), request().path("/apix"), false),
        arguments(
            String.format(path, "regex: \"/users/[0-9]+\""), request().path("/users/17"), true),
        arguments(
            String.format(path, "regex: \"/users/[0-9]+\""),
            request().path("/users/17/edit"),
            false),
        arguments(
            "{rules: [{match: {header: {name: x-beta, present: true}, path: {prefix: /api/}}, to:"
                + " canary}]}",
            request().header("x-beta", "1").path("/api/a"),
            true),
        arguments(
            "{rules: [{match: {header: {name: x-beta, present: true}, path: {prefix: /api/}}, to:"
                + " canary}]}",
            request().header("x-beta", "1").path("/web"),
            false),
        arguments(
            "{rules: [{match: {header: {name: x-beta, present: true}, path: {prefix: /api/}}, to:"
                + " canary}]}",
            request().path("/api/a"),
            false));
  }

  @ParameterizedTest(name = "{0} with {1}: {2}")
  @MethodSource("rules")
  void rulesMatchAsConfigured(String routing, FakeRequest request, boolean matches) {
    RoutingResult out = route(table(routing), request);

    assertThat(out.reason).isEqualTo(matches ? Reason.RULE : Reason.ANONYMOUS);
    assertThat(out.backend).isEqualTo(matches ? "canary" : "stable");
    assertThat(out.variant).isEqualTo(matches ? Variant.CANARY : Variant.STABLE);
  }

  @ParameterizedTest
  @CsvSource({
    "/a/x, beta, OTHER",
    "/b/x, stable, STABLE",
    "/a/b/x, beta, OTHER",
    "/c, canary, CANARY"
  })
  void firstMatchingRuleWinsAndItsBackendGivesTheVariant(
      String path, String backend, Variant variant) {
    RoutingTable t =
        table(
            "{canaryPercent: 100, userKey: [{header: x-user}], rules: ["
                + "{match: {path: {prefix: /a/}}, to: beta},"
                + "{match: {path: {prefix: /a/b/}}, to: stable},"
                + "{match: {path: {prefix: /b/}}, to: stable}]}");

    RoutingResult out = route(t, request().path(path).header("x-user", "u1"));

    assertThat(out.backend).isEqualTo(backend);
    assertThat(out.variant).isEqualTo(variant);
    assertThat(out.reason).isEqualTo(variant == Variant.CANARY ? Reason.COHORT : Reason.RULE);
    assertThat(out.userKey()).isEqualTo("u1");
    assertThat(out.bucket).isEqualTo(Cohorts.bucket("", "u1"));
  }

  @ParameterizedTest(name = "{0} from {1}")
  @CsvSource({
    "canary, 127.0.0.1, canary, OVERRIDE, false",
    "CaNaRy, 127.0.0.1, canary, OVERRIDE, false",
    "stable, 10.20.30.40, stable, OVERRIDE, false",
    "canary, ::1, canary, OVERRIDE, false",
    "canary, fd00:1::5, canary, OVERRIDE, false",
    "canary, ::ffff:10.1.1.1, canary, OVERRIDE, false",
    "canary, 192.168.1.1, beta, RULE, true",
    "canary, ::2, beta, RULE, true",
    "stable, 11.0.0.1, beta, RULE, true",
    "maybe, 127.0.0.1, beta, RULE, false"
  })
  void overrideWinsOnlyFromTrustedAddresses(
      String value, String from, String backend, Reason reason, boolean strip) {
    RoutingTable t =
        table(
            "{override: {header: X-Canary, trustedCidrs: [127.0.0.1/32, 10.0.0.0/8, \"::1/128\","
                + " \"fd00::/8\"]}, rules: [{match: {path: {prefix: /}}, to: beta}]}");

    RoutingResult out = route(t, request().header("x-canary", value).from(from));

    assertThat(out.backend).isEqualTo(backend);
    assertThat(out.reason).isEqualTo(reason);
    assertThat(out.stripOverride).isEqualTo(strip);
  }

  @Test
  void overrideFromAnUnknownAddressIsStrippedAndIgnored() {
    RoutingTable t =
        table("{override: {header: x-canary, trustedCidrs: [\"0.0.0.0/0\", \"::/0\"]}}");

    RoutingResult out = route(t, request().header("x-canary", "canary"));

    assertThat(out.stripOverride).isTrue();
    assertThat(out.variant).isEqualTo(Variant.STABLE);
  }

  @ParameterizedTest(name = "xff \"{0}\" with trustForwardedFor {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "198.51.100.1, 10.0.0.5 | 1 | 198.51.100.1 | true",
        "10.9.9.9, 198.51.100.1 | 1 | 127.0.0.1 | false",
        "10.9.9.9, 198.51.100.1 | 2 | 127.0.0.1 | true",
        "10.9.9.9 | 2 | 127.0.0.1 | false",
        "'' | 1 | 127.0.0.1 | false",
        "not-an-ip | 1 | 127.0.0.1 | false",
        "[fd00::1]:443 | 1 | 198.51.100.1 | true",
        "10.1.2.3:5555, 203.0.113.9 | 2 | 198.51.100.1 | true"
      })
  void trustForwardedForDecidesOnTheNthAddressFromTheRight(
      String xff, int n, String peer, boolean trusted) {
    // Trusted: 10.0.0.0/8 and fd00::/8. The peer (here loopback, which is not trusted) no longer
    // counts once trustForwardedFor is set.
    RoutingTable t =
        table(
            "{override: {header: x-canary, trustedCidrs: [10.0.0.0/8, \"fd00::/8\"],"
                + " trustForwardedFor: "
                + n
                + "}}");

    RoutingResult out =
        route(t, request().header("x-canary", "canary").header("x-forwarded-for", xff).from(peer));

    assertThat(out.variant).isEqualTo(trusted ? Variant.CANARY : Variant.STABLE);
    assertThat(out.stripOverride).isEqualTo(!trusted);
  }

  @Test
  void clientCertificateIsAUserKeySource() {
    RoutingTable t =
        RoutingTable.compile(
            new io.canaryproxy.config.RoutingConfig(
                "stable",
                "canary",
                java.util.List.of(
                    new io.canaryproxy.config.RoutingConfig.UserKeySource(
                        io.canaryproxy.config.RoutingConfig.UserKeySource.Kind.CLIENT_CERT, "san"),
                    new io.canaryproxy.config.RoutingConfig.UserKeySource(
                        io.canaryproxy.config.RoutingConfig.UserKeySource.Kind.HEADER,
                        "x-user-id")),
                100,
                "",
                io.canaryproxy.config.RoutingConfig.Anonymous.STABLE,
                null,
                java.util.List.of(),
                false));
    FakeRequest withCert =
        request().header("x-user-id", "header-user").certificate("san", "spiffe://x/alice");

    assertThat(route(t, withCert).userKey()).isEqualTo("spiffe://x/alice");
    assertThat(route(t, request().header("x-user-id", "header-user")).userKey())
        .isEqualTo("header-user");
    assertThat(t.headersRead()).containsExactly("x-user-id");
  }

  @Test
  void requestWithoutOverrideHeaderIsNotStripped() {
    RoutingTable t = table("{override: {header: x-canary, trustedCidrs: []}}");

    assertThat(route(t, request().from("203.0.113.1")).stripOverride).isFalse();
  }

  @Test
  void firstPresentNonEmptyUserKeySourceWins() {
    RoutingTable t =
        table(
            "{canaryPercent: 50, userKey: [{header: X-User-Id}, {cookie: uid}, {header:"
                + " x-device}]}");

    assertThat(route(t, request().header("x-user-id", "h1").header("cookie", "uid=c1")).userKey())
        .isEqualTo("h1");
    assertThat(route(t, request().header("x-user-id", "").header("cookie", "uid=c1")).userKey())
        .isEqualTo("c1");
    assertThat(route(t, request().header("cookie", "uid=; a=b").header("x-device", "d1")).userKey())
        .isEqualTo("d1");
    assertThat(route(t, request().header("cookie", "xuid=c1").header("x-device", "d1")).userKey())
        .isEqualTo("d1");
  }

  @ParameterizedTest
  @CsvSource({"0, STABLE", "100, CANARY"})
  void cohortFollowsTheBucket(double percent, Variant expected) {
    RoutingTable t = table("{canaryPercent: " + percent + ", salt: s1, userKey: [{cookie: uid}]}");

    RoutingResult out = route(t, request().header("cookie", "lang=en; uid=\"user-9\""));

    assertThat(out.userKey()).isEqualTo("user-9");
    assertThat(out.bucket).isEqualTo(Cohorts.bucket("s1", "user-9"));
    assertThat(out.variant).isEqualTo(expected);
    assertThat(out.reason).isEqualTo(Reason.COHORT);
    assertThat(out.stripOverride).isFalse();
  }

  @Test
  void anonymousStableAlwaysGoesToStable() {
    RoutingTable t = table("{canaryPercent: 100, anonymous: stable, userKey: [{header: x-user}]}");
    for (int i = 0; i < 1000; i++) {
      RoutingResult out = route(t, request());

      assertThat(out.variant).isEqualTo(Variant.STABLE);
      assertThat(out.backend).isEqualTo("stable");
      assertThat(out.reason).isEqualTo(Reason.ANONYMOUS);
      assertThat(out.bucket).isEqualTo(-1);
      assertThat(out.userKey()).isNull();
    }
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "10, 0.1", "50, 0.5", "100, 1"})
  void anonymousSplitSendsTheCanaryShareOfRequests(double percent, double share) {
    RoutingTable t = table("{canaryPercent: " + percent + ", anonymous: split}");
    int n = 400_000;
    int canary = 0;
    for (int i = 0; i < n; i++) {
      RoutingResult out = route(t, request());
      assertThat(out.reason).isEqualTo(Reason.ANONYMOUS);
      assertThat(out.bucket).isEqualTo(-1);
      canary += out.variant == Variant.CANARY ? 1 : 0;
    }
    // the share's standard deviation is at most 0.08 points at n = 400,000, so 0.5 points is over
    // six of them
    assertThat((double) canary / n).isCloseTo(share, org.assertj.core.data.Offset.offset(0.005));
  }

  @Test
  void withCanaryPercentChangesOnlyTheShare() {
    RoutingTable t =
        table(
            "{canaryPercent: 0, salt: s, userKey: [{header: x-user}], exposeVariantHeader: true}");

    RoutingTable all = t.withCanaryPercent(100);

    assertThat(all.canaryPercent()).isEqualTo(100);
    assertThat(t.canaryPercent()).isZero();
    RoutingConfig c = all.config();
    assertThat(c)
        .isEqualTo(
            new RoutingConfig(
                t.config().stable(),
                t.config().canary(),
                t.config().userKey(),
                100,
                "s",
                t.config().anonymous(),
                null,
                t.config().rules(),
                true));
    assertThat(route(all, request().header("x-user", "u")).variant).isEqualTo(Variant.CANARY);
    assertThat(route(t, request().header("x-user", "u")).variant).isEqualTo(Variant.STABLE);
    assertThatThrownBy(() -> t.withCanaryPercent(100.5))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("canaryPercent: 100.5 (expected: 0..100)");
  }

  @Test
  void routerSwapsSnapshotsAtomically() throws InterruptedException {
    Router router = new Router(table("{canaryPercent: 0}"));
    Thread[] threads = new Thread[4];
    for (int i = 0; i < threads.length; i++) {
      threads[i] =
          new Thread(
              () -> {
                for (int j = 0; j < 250; j++) {
                  router.update(t -> t.withCanaryPercent(t.canaryPercent() + 0.01));
                }
              });
      threads[i].start();
    }
    for (Thread thread : threads) {
      thread.join();
    }
    // every one of the 1000 increments is kept: none was lost to a racing update
    assertThat(Cohorts.threshold(router.current().canaryPercent())).isEqualTo(1000);

    RoutingTable next = table("{canaryPercent: 42}");
    router.update(current -> next);
    assertThat(router.current()).isSameAs(next);
  }
}
