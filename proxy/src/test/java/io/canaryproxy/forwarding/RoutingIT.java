package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.RoutingConfig.NamedMatch;
import io.canaryproxy.config.RoutingConfig.RuleConfig;
import io.canaryproxy.config.RoutingConfig.StringMatch;
import io.canaryproxy.routing.Cohorts;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Routing as a user sees it, through a real proxy and real backends on loopback. */
class RoutingIT {
  private static final String SALT = "test-salt";

  private final StubServer stable = StubServer.named("stable");
  private final StubServer canary = StubServer.named("canary");
  private final StubServer legacy = StubServer.named("legacy");
  private RunningProxy proxy;

  RoutingIT() throws InterruptedException {}

  @AfterEach
  void tearDown() {
    proxy.close();
    stable.close();
    canary.close();
    legacy.close();
  }

  private void start(double canaryPercent, List<RuleConfig> rules, String trustedCidr)
      throws InterruptedException {
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of(
                    "stable",
                    stable.endpoint(),
                    "canary",
                    canary.endpoint(),
                    "legacy",
                    legacy.endpoint()),
                TestConfigs.routing(canaryPercent, rules, trustedCidr),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
  }

  private static String get(RawHttp raw, String path, String... headers) throws Exception {
    StringBuilder req = new StringBuilder("GET " + path + " HTTP/1.1\r\nHost: shop\r\n");
    for (String h : headers) {
      req.append(h).append("\r\n");
    }
    RawHttp.Response r = raw.send(req.append("\r\n").toString()).read();
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("x-canary-variant")).isIn("stable", "canary", "other");
    return r.bodyText().trim();
  }

  @Test
  void eachUserStaysOnTheVariantItsCohortGivesByHeaderAndByCookie() throws Exception {
    start(30, List.of(), "127.0.0.1/32");
    int canaryUsers = 0;
    try (RawHttp raw = new RawHttp(proxy.port())) {
      for (int u = 0; u < 200; u++) {
        String user = "user-" + u;
        String expected = Cohorts.inCanary(Cohorts.bucket(SALT, user), 30) ? "canary" : "stable";
        canaryUsers += expected.equals("canary") ? 1 : 0;
        for (int i = 0; i < 3; i++) {
          assertThat(get(raw, "/p", "x-user-id: " + user)).as(user).isEqualTo(expected);
        }
        assertThat(get(raw, "/p", "Cookie: theme=dark; uid=" + user))
            .as(user + " by cookie")
            .isEqualTo(expected);
      }
    }
    assertThat(canaryUsers).as("both variants are exercised").isBetween(30, 100);
  }

  @Test
  void overrideFromATrustedAddressForcesTheVariant() throws Exception {
    start(0, List.of(), "127.0.0.1/32");
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(get(raw, "/", "x-user-id: someone", "x-canary: canary")).isEqualTo("canary");
      assertThat(get(raw, "/", "x-canary: stable")).isEqualTo("stable");
    }
  }

  @Test
  void overrideFromAnUntrustedAddressIsIgnoredAndRemoved() throws Exception {
    start(0, List.of(), "10.0.0.0/8");
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(get(raw, "/", "x-user-id: someone", "x-canary: canary")).isEqualTo("stable");
    }
    assertThat(stable.received().get(0).header("x-canary")).isNull();
  }

  @Test
  void rulesAreCheckedBeforeTheSplitAndMaySendToAnyBackend() throws Exception {
    start(
        100,
        List.of(
            new RuleConfig(
                new NamedMatch("x-beta", new StringMatch(StringMatch.Op.EQUALS, "false")),
                null,
                null,
                "stable"),
            new RuleConfig(
                null, null, new StringMatch(StringMatch.Op.PREFIX, "/legacy/"), "legacy")),
        "127.0.0.1/32");
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(get(raw, "/shop", "x-user-id: u1")).isEqualTo("canary");
      assertThat(get(raw, "/shop", "x-user-id: u1", "x-beta: false")).isEqualTo("stable");
      assertThat(get(raw, "/legacy/orders?id=7", "x-user-id: u1")).isEqualTo("legacy");
    }
    assertThat(legacy.received().get(0).uri()).isEqualTo("/legacy/orders?id=7");
  }
}
