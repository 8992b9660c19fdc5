package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.routing.Cohorts;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code routing.propagate} across two services, each behind its own proxy on real loopback
 * sockets: service A's proxy tells A's backend which variant it chose; A passes the header on when
 * it calls service B; B's proxy, which trusts A's address, routes the user the same way although B
 * splits its users with another salt. From an untrusted peer the header and the baggage member are
 * replaced by the proxy's own decision.
 */
class PropagationIT {
  private final StubServer aStable = StubServer.named("a-stable");
  private final StubServer aCanary = StubServer.named("a-canary");
  private final StubServer bStable = StubServer.named("b-stable");
  private final StubServer bCanary = StubServer.named("b-canary");
  private RunningProxy a;
  private RunningProxy b;

  PropagationIT() throws InterruptedException {}

  @AfterEach
  void tearDown() {
    for (RunningProxy p : new RunningProxy[] {a, b}) {
      if (p != null) {
        p.close();
      }
    }
    aStable.close();
    aCanary.close();
    bStable.close();
    bCanary.close();
  }

  private static RunningProxy proxy(
      StubServer stable, StubServer canary, String salt, String propagate) throws Exception {
    return new RunningProxy(
        ConfigLoader.parse(
            String.join(
                "\n",
                "listen: 127.0.0.1:0",
                "ioThreads: 1",
                "admin: { listen: 127.0.0.1:0 }",
                "backends:",
                "  stable: { endpoints: [\"" + stable.endpoint() + "\"] }",
                "  canary: { endpoints: [\"" + canary.endpoint() + "\"] }",
                "routing:",
                "  userKey: [{ header: x-user-id }]",
                "  canaryPercent: 50",
                "  salt: \"" + salt + "\"",
                "  propagate: " + propagate,
                "")));
  }

  private static RawHttp.Response get(RawHttp raw, String... headers) throws Exception {
    StringBuilder req = new StringBuilder("GET /orders HTTP/1.1\r\nHost: svc\r\n");
    for (String h : headers) {
      req.append(h).append("\r\n");
    }
    RawHttp.Response r = raw.send(req.append("\r\n").toString()).read();
    assertThat(r.status()).isEqualTo(200);
    return r;
  }

  @Test
  void serviceBRoutesEachUserAsServiceADid() throws Exception {
    a = proxy(aStable, aCanary, "service-a", "{ header: x-canary-variant, baggage: true }");
    b =
        proxy(
            bStable,
            bCanary,
            "service-b",
            "{ header: x-canary-variant, baggage: true, trustInbound: [\"127.0.0.1/32\"] }");
    int disagreeWithoutPropagation = 0;
    try (RawHttp toA = new RawHttp(a.port());
        RawHttp toB = new RawHttp(b.port())) {
      for (int u = 0; u < 60; u++) {
        String user = "user-" + u;
        String aVariant = get(toA, "x-user-id: " + user, "baggage: tenant=t1").bodyText().trim();
        StubServer aBackend = aVariant.equals("a-canary") ? aCanary : aStable;
        StubServer.Received seen = aBackend.received().get(aBackend.received().size() - 1);
        String chosen = aVariant.substring(2);
        assertThat(seen.header("x-canary-variant")).isEqualTo(chosen);
        assertThat(seen.header("baggage")).isEqualTo("tenant=t1,x-canary-variant=" + chosen);
        // A's backend calls B, passing the user and the decision on (as its tracing library would)
        String bVariant =
            get(
                    toB,
                    "x-user-id: " + user,
                    "x-canary-variant: " + seen.header("x-canary-variant"),
                    "baggage: " + seen.header("baggage"))
                .bodyText()
                .trim();
        assertThat(bVariant).as(user).isEqualTo("b-" + chosen);
        boolean bAlone = Cohorts.inCanary(Cohorts.bucket("service-b", user), 50);
        disagreeWithoutPropagation += bAlone != chosen.equals("canary") ? 1 : 0;
      }
    }
    assertThat(disagreeWithoutPropagation)
        .as("without propagation B would have split these users differently")
        .isGreaterThan(10);
  }

  @Test
  void theBaggageMemberAloneIsHonouredFromATrustedPeer() throws Exception {
    b =
        proxy(
            bStable,
            bCanary,
            "service-b",
            "{ header: x-canary-variant, baggage: true, trustInbound: [\"127.0.0.1/32\"] }");
    String stableUser = stableUserOf("service-b");
    try (RawHttp toB = new RawHttp(b.port())) {
      RawHttp.Response r =
          get(toB, "x-user-id: " + stableUser, "baggage: x-canary-variant=canary;src=a, k=v");
      assertThat(r.bodyText().trim()).isEqualTo("b-canary");
    }
    StubServer.Received seen = bCanary.received().get(0);
    assertThat(seen.header("baggage")).isEqualTo("k=v,x-canary-variant=canary");
    assertThat(seen.header("x-canary-variant")).isEqualTo("canary");
  }

  @Test
  void fromAnUntrustedPeerTheInboundDecisionIsIgnoredAndReplaced() throws Exception {
    b =
        proxy(
            bStable,
            bCanary,
            "service-b",
            "{ header: x-canary-variant, trustInbound: [\"10.0.0.0/8\"] }");
    String stableUser = stableUserOf("service-b");
    try (RawHttp toB = new RawHttp(b.port())) {
      RawHttp.Response r =
          get(
              toB,
              "x-user-id: " + stableUser,
              "X-Canary-Variant: canary",
              "baggage: a=1, x-canary-variant=canary");
      assertThat(r.bodyText().trim()).isEqualTo("b-stable");
    }
    StubServer.Received seen = bStable.received().get(0);
    assertThat(seen.headers().getAll("x-canary-variant")).containsExactly("stable");
    assertThat(seen.header("baggage")).as("a forged member is removed").isEqualTo("a=1");
  }

  private static String stableUserOf(String salt) {
    for (int u = 0; ; u++) {
      if (!Cohorts.inCanary(Cohorts.bucket(salt, "u" + u), 50)) {
        return "u" + u;
      }
    }
  }
}
