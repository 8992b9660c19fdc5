package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.RunningProxy.Done;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The requests of one keep-alive client connection are separate exchanges, although the connection
 * reuses one exchange object for them: nothing of one request (its variant, failure, mirror
 * decision, byte counts, path) may reach the record of the next, which is what metrics, the access
 * log and the canary analysis read, nor the next request's mirroring. Real sockets: a raw client,
 * stub backends, a shadow taking a copy of canary requests only.
 */
class KeepAliveExchangesIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private StubServer stable;
  private StubServer canary;
  private StubServer shadow;
  private RunningProxy proxy;
  private Mirroring mirroring;

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    for (StubServer s : new StubServer[] {stable, canary, shadow}) {
      if (s != null) {
        s.close();
      }
    }
  }

  /** A loopback port nothing listens on: connecting to it is refused. */
  private static int refusingPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  @Test
  void threeUsersOnOneConnectionEachGetTheirOwnRecordAndMirrorDecision() throws Exception {
    stable = StubServer.named("stable");
    canary = StubServer.named("canary");
    shadow = StubServer.named("shadow");
    RoutingConfig.RuleConfig toDead =
        new RoutingConfig.RuleConfig(
            null,
            null,
            new RoutingConfig.StringMatch(RoutingConfig.StringMatch.Op.PREFIX, "/dead/"),
            "dead");
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of(
                "stable", stable.endpoint(),
                "canary", canary.endpoint(),
                "shadow", shadow.endpoint(),
                "dead", "127.0.0.1:" + refusingPort()),
            TestConfigs.routing(0, List.of(toDead), "127.0.0.1/32"),
            TestConfigs.defaultTimeouts(),
            TestConfigs.defaultLimits());
    mirroring =
        new Mirroring(
            MirrorConfigs.percent(100).methods("GET", "POST").from("canary").config(),
            config.backends(),
            "stable",
            "test-salt",
            config.timeouts(),
            latency -> {});
    proxy = new RunningProxy(config, mirroring);

    byte[] body = new byte[1_000];
    new Random(7).nextBytes(body);
    try (RawHttp http = new RawHttp(proxy.port())) {
      // alice, forced to the canary: mirrored, with a body, answered by the canary
      http.send(
          "POST /one?q=1 HTTP/1.1\r\nHost: one.example\r\nx-user-id: alice\r\nx-canary: canary\r\n"
              + "Content-Length: 1000\r\n\r\n");
      http.output().write(body);
      http.output().flush();
      RawHttp.Response first = http.read();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.bodyText()).isEqualTo("canary\n");
      // bob, to a backend that refuses: the proxy's own 502, and the connection stays open
      http.send("GET /dead/two HTTP/1.1\r\nHost: two.example:8080\r\nx-user-id: bob\r\n\r\n");
      RawHttp.Response second = http.read();
      assertThat(second.status()).isEqualTo(502);
      assertThat(second.header("x-canary-proxy-error")).isEqualTo("connect_failed");
      // carol, anonymous: the stable, not mirrored
      http.send("GET /three HTTP/1.1\r\nHost: three.example\r\n\r\n");
      RawHttp.Response third = http.read();
      assertThat(third.status()).isEqualTo(200);
      assertThat(third.bodyText()).isEqualTo("stable\n");
      assertThat(third.header("x-canary-variant")).isEqualTo("stable");
    }
    await().atMost(WAIT).until(() -> proxy.done().size() == 3 && mirroring.stats().inFlight() == 0);

    List<Done> done = proxy.done();
    assertThat(done.get(0))
        .isEqualTo(new Done("canary", 200, null, 1_000, "canary\n".length(), true, null, false));
    assertThat(done.get(1).status()).isEqualTo(502);
    assertThat(done.get(1).failure()).isEqualTo("connect_failed");
    assertThat(done.get(1).error()).isTrue();
    assertThat(done.get(1).mirrored()).isFalse();
    assertThat(done.get(1).bytesIn()).isZero();
    assertThat(done.get(1).bytesOut()).isZero();
    assertThat(done.get(1).variant()).isNotEqualTo("canary");
    assertThat(done.get(2))
        .isEqualTo(new Done("stable", 200, null, 0, "stable\n".length(), false, null, false));

    // Only alice's request reached the shadow, under its own path and with its own body.
    assertThat(shadow.received()).hasSize(1);
    StubServer.Received copy = shadow.received().get(0);
    assertThat(copy.uri()).isEqualTo("/one?q=1");
    assertThat(copy.header("x-user-id")).isEqualTo("alice");
    assertThat(copy.bodyBytes()).isEqualTo(body.length);
    assertThat(copy.header("x-forwarded-host")).isEqualTo("one.example");
    assertThat(mirroring.stats().requests(Outcome.SENT)).isEqualTo(1);
    assertThat(stable.received()).extracting(StubServer.Received::uri).containsExactly("/three");
    assertThat(stable.received().get(0).header("x-user-id")).isNull();
    assertThat(stable.received().get(0).header("x-forwarded-host")).isEqualTo("three.example");
    assertThat(canary.received().get(0).header("x-forwarded-host")).isEqualTo("one.example");
  }
}
