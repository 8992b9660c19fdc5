package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mirror.ejection} over real loopback sockets: a shadow whose copies keep failing is left
 * alone for a while, the primary never notices, and an answering shadow is never ejected.
 */
class ShadowEjectionIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private StubServer stable;
  private StubServer canary;
  private StubServer shadow;
  private ServerSocket stalled;
  private final ConcurrentLinkedQueue<Socket> accepted = new ConcurrentLinkedQueue<>();
  private final AtomicInteger shadowConnections = new AtomicInteger();
  private RunningProxy proxy;
  private Mirroring mirroring;

  @AfterEach
  void tearDown() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (StubServer s : new StubServer[] {stable, canary, shadow}) {
      if (s != null) {
        s.close();
      }
    }
    if (stalled != null) {
      stalled.close();
    }
    for (Socket s : accepted) {
      s.close();
    }
  }

  /** A shadow that accepts connections and never reads or writes a byte; counts connections. */
  private String startStalledShadow() throws IOException {
    stalled = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  accepted.add(stalled.accept());
                  shadowConnections.incrementAndGet();
                }
              } catch (IOException closed) {
                // the test is over
              }
            },
            "stalled-shadow");
    acceptor.setDaemon(true);
    acceptor.start();
    return "127.0.0.1:" + stalled.getLocalPort();
  }

  private void startProxy(String shadowEndpoint, MirrorConfigs mirror) throws InterruptedException {
    stable = StubServer.start((ctx, req) -> reply(ctx, HttpResponseStatus.OK, "stable\n"));
    canary = StubServer.named("canary");
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of(
                "stable", stable.endpoint(), "canary", canary.endpoint(), "shadow", shadowEndpoint),
            TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
            TestConfigs.defaultTimeouts(),
            TestConfigs.defaultLimits());
    mirroring =
        new Mirroring(
            mirror.config(), config.backends(), "stable", "test-salt", config.timeouts(), null);
    proxy = new RunningProxy(config, mirroring);
  }

  private static void reply(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
    StubServer.reply(ctx, status, body);
  }

  private MirrorStats stats() {
    return mirroring.stats();
  }

  private static void getOk(RawHttp http, String path) throws IOException {
    http.send("GET " + path + " HTTP/1.1\r\nHost: app\r\n\r\n");
    RawHttp.Response r = http.read();
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.bodyText()).isEqualTo("stable\n");
  }

  /** Sends {@code n} requests one at a time, each copy ending before the next request. */
  private void copiesTimeOut(RawHttp http, int n) throws IOException {
    for (int i = 0; i < n; i++) {
      long before = stats().requests(Outcome.TIMEOUT);
      getOk(http, "/t" + i);
      await().atMost(WAIT).until(() -> stats().requests(Outcome.TIMEOUT) == before + 1);
    }
  }

  @Test
  void stalledShadowIsEjectedAfterConsecutiveTimeoutsAndGetsNoConnection() throws Exception {
    startProxy(
        startStalledShadow(),
        MirrorConfigs.percent(100)
            .limits(1 << 20, 256, Duration.ofMillis(200))
            .ejection(3, Duration.ofMinutes(1), Duration.ofMinutes(5)));
    try (RawHttp http = new RawHttp(proxy.port())) {
      copiesTimeOut(http, 3);
      await().atMost(WAIT).until(() -> shadowConnections.get() == 3);
      assertThat(stats().snapshot()).containsEntry("ejected", true);

      for (int i = 0; i < 50; i++) {
        getOk(http, "/e" + i);
      }
    }
    assertThat(stats().requests(Outcome.DROPPED_EJECTED)).isEqualTo(50);
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(3);
    assertThat(stats().requests(Outcome.TIMEOUT)).isEqualTo(3);
    assertThat(stats().inFlight()).isZero();
    // Nothing reached the shadow while it was ejected: no new connection was even opened.
    assertThat(shadowConnections.get()).isEqualTo(3);
    await().atMost(WAIT).until(() -> proxy.done().size() == 53);
    assertThat(proxy.done())
        .allSatisfy(d -> assertThat(d.status()).isEqualTo(200))
        .filteredOn(RunningProxy.Done::mirrored)
        .hasSize(3);
  }

  @Test
  void copiesResumeOnceTheEjectionEnds() throws Exception {
    startProxy(
        startStalledShadow(),
        MirrorConfigs.percent(100)
            .limits(1 << 20, 256, Duration.ofMillis(200))
            .ejection(3, Duration.ofSeconds(1), Duration.ofMinutes(5)));
    AtomicInteger n = new AtomicInteger();
    try (RawHttp http = new RawHttp(proxy.port())) {
      copiesTimeOut(http, 3);
      assertThat(stats().requests(Outcome.SENT)).isEqualTo(3);

      // Ejected for 1s: requests keep coming, and once the time is up a copy is sent again.
      await()
          .atMost(WAIT)
          .pollInterval(Duration.ofMillis(20))
          .until(
              () -> {
                getOk(http, "/r" + n.incrementAndGet());
                return stats().requests(Outcome.SENT) == 4;
              });
      await().atMost(WAIT).until(() -> shadowConnections.get() == 4);
      assertThat(stats().requests(Outcome.DROPPED_EJECTED)).isEqualTo(n.get() - 1);
    }
    await().atMost(WAIT).until(() -> proxy.done().size() == 3 + n.get());
    assertThat(proxy.done()).allSatisfy(d -> assertThat(d.status()).isEqualTo(200));
  }

  /** Sampled requests whose copy ended, or that were not copied because the shadow is ejected. */
  private long ended() {
    return stats().requests(Outcome.FAILED)
        + stats().requests(Outcome.COMPLETED)
        + stats().requests(Outcome.DROPPED_EJECTED);
  }

  @Test
  void anAnswerOfAnyStatusResetsTheCount() throws Exception {
    // The shadow closes the connection for /fail (a failed copy) and answers 503 otherwise.
    shadow =
        StubServer.start(
            (ctx, req) -> {
              if (req.uri().startsWith("/fail")) {
                ctx.close();
              } else {
                reply(ctx, HttpResponseStatus.SERVICE_UNAVAILABLE, "down\n");
              }
            });
    startProxy(
        shadow.endpoint(),
        MirrorConfigs.percent(100).ejection(3, Duration.ofMinutes(1), Duration.ofMinutes(5)));
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 10; i++) {
        for (String path : new String[] {"/fail-a" + i, "/fail-b" + i, "/answer" + i}) {
          long ended = ended();
          getOk(http, path);
          await().atMost(WAIT).until(() -> ended() == ended + 1);
        }
      }
    }
    assertThat(stats().requests(Outcome.DROPPED_EJECTED)).isZero();
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(30);
    assertThat(stats().requests(Outcome.FAILED)).isEqualTo(20);
    assertThat(stats().requests(Outcome.COMPLETED)).isEqualTo(10);
    assertThat(stats().snapshot()).containsEntry("ejected", false);
    assertThat(shadow.received()).hasSize(30);
  }
}
