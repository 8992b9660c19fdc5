package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.TestConfigs;
import io.canaryproxy.testing.TunnelBackend;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Upgrade requests through the proxy, seen byte for byte on both sides: what the backend receives
 * (the upgrade fields kept, nothing smuggled before the 101), the tunnel after the 101 both ways,
 * its ends (either side closing, idle timeout, drain), backpressure with a reader that pauses, and
 * what a declined upgrade or {@code h2c} turns into.
 */
class TunnelIT {
  private static final String UPGRADE =
      "GET /chat HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
          + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

  private TunnelBackend backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(TunnelBackend b, Duration tunnelIdle, MirrorTap.Factory taps)
      throws InterruptedException {
    backend = b;
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of("stable", b.endpoint(), "canary", b.endpoint()),
            TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
            new TimeoutsConfig(
                Duration.ofSeconds(2),
                Duration.ofSeconds(30),
                Duration.ofSeconds(60),
                Duration.ofSeconds(10),
                Duration.ofSeconds(60),
                Duration.ofSeconds(30),
                tunnelIdle),
            TestConfigs.defaultLimits());
    proxy = new RunningProxy(config, taps);
  }

  private void start(TunnelBackend b) throws InterruptedException {
    start(b, Duration.ofHours(1), null);
  }

  private static byte[] readExactly(InputStream in, int n) throws IOException {
    byte[] got = in.readNBytes(n);
    assertThat(got).hasSize(n);
    return got;
  }

  private static String ascii(byte[] b) {
    return new String(b, StandardCharsets.ISO_8859_1);
  }

  @Test
  void upgradeFieldsReachTheBackendAndTheTunnelCarriesBytesBothWays() throws Exception {
    start(TunnelBackend.echoing());
    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response switched = client.send(UPGRADE).read();
      assertThat(switched.status()).isEqualTo(101);
      assertThat(switched.header("upgrade")).isEqualToIgnoringCase("websocket");
      assertThat(switched.header("connection")).isEqualToIgnoringCase("upgrade");
      assertThat(switched.header("transfer-encoding")).isNull();

      String head = backend.conns().get(0).heads().get(0);
      assertThat(head).containsIgnoringCase("upgrade: websocket\r\n");
      assertThat(head).containsIgnoringCase("connection: upgrade\r\n");
      assertThat(head).contains("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n");
      assertThat(head).containsIgnoringCase("x-forwarded-for: 127.0.0.1");

      // Not HTTP at all: the tunnel must pass it through unparsed, both ways.
      byte[] junk = {(byte) 0x81, (byte) 0x85, 0, 0, 0, 0, 'h', 'e', 'l', 'l', 'o', '\r', '\n'};
      client.output().write(junk);
      client.output().flush();
      assertThat(readExactly(client.input(), junk.length)).isEqualTo(junk);
      assertThat(backend.conns().get(0).tunnelBytes()).isEqualTo(junk);
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
    assertThat(proxy.done()).singleElement().satisfies(d -> assertThat(d.status()).isEqualTo(101));
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.forwarding().openTunnels() == 0);
  }

  @Test
  void aNewAnonymousVisitorsHandshakeGetsItsIdCookieAndVariantOn101() throws Exception {
    backend = TunnelBackend.echoing();
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin: { listen: 127.0.0.1:0 }",
            "backends:",
            "  stable: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "  canary: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "routing:",
            "  userKey: [{ header: x-user-id }]",
            "  canaryPercent: 0",
            "  anonymous: cookie",
            "  exposeVariantHeader: true");
    proxy = new RunningProxy(io.canaryproxy.config.ConfigLoader.parse(yaml));
    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response switched = client.send(UPGRADE).read();
      assertThat(switched.status()).isEqualTo(101);
      // The first request of a visitor without a key may be the handshake: the id it was routed
      // by must reach the browser there, or its next request would get another one.
      assertThat(switched.header("set-cookie")).matches("^cp_uid=[A-Za-z0-9_-]{22};.*");
      assertThat(switched.header("x-canary-variant")).isEqualTo("stable");
    }
  }

  @Test
  void bytesSentBeforeThe101AreHeldAndBecomeTheFirstTunnelBytes() throws Exception {
    start(TunnelBackend.echoing());
    String early = "GET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n";
    try (RawHttp client = new RawHttp(proxy.port())) {
      // One write: an HTTP request right behind the upgrade request, before any answer.
      RawHttp.Response switched = client.send(UPGRADE + early).read();
      assertThat(switched.status()).isEqualTo(101);
      assertThat(ascii(readExactly(client.input(), early.length()))).isEqualTo(early);
    }
    TunnelBackend.Conn conn = backend.conns().get(0);
    assertThat(conn.heads()).hasSize(1); // never parsed as a second request
    assertThat(ascii(conn.tunnelBytes())).isEqualTo(early);
    assertThat(backend.conns()).hasSize(1);
  }

  @Test
  void anUpgradePipelinedBehindAnOrdinaryRequestStillTunnelsWhatFollowsIt() throws Exception {
    start(
        new TunnelBackend(
            (c, i, head) ->
                head.startsWith("GET /chat")
                    ? TunnelBackend.SWITCH
                    : "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nfirst\n",
            true,
            true));
    String early = "GET /smuggled HTTP/1.1\r\nHost: app\r\n\r\n";
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send("GET /first HTTP/1.1\r\nHost: app\r\n\r\n" + UPGRADE + early);
      assertThat(client.read().bodyText()).isEqualTo("first\n");
      assertThat(client.read().status()).isEqualTo(101);
      assertThat(ascii(readExactly(client.input(), early.length()))).isEqualTo(early);
    }
    assertThat(backend.conns().stream().mapToInt(c -> c.heads().size()).sum()).isEqualTo(2);
  }

  @Test
  void aDeclinedUpgradeIsAnOrdinaryResponseAndWhatFollowedIsTheNextRequest() throws Exception {
    start(
        new TunnelBackend(
            (c, i, head) ->
                "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n" + (i == 0 ? "no\n" : "ok\n"),
            false,
            true));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(UPGRADE + "GET /next HTTP/1.1\r\nHost: app\r\n\r\n");
      RawHttp.Response first = client.read();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.bodyText()).isEqualTo("no\n");
      RawHttp.Response second = client.read();
      assertThat(second.status()).isEqualTo(200);
      assertThat(second.bodyText()).isEqualTo("ok\n");
      // and the connection is still usable afterwards
      RawHttp.Response third = client.send("GET /third HTTP/1.1\r\nHost: app\r\n\r\n").read();
      assertThat(third.status()).isEqualTo(200);
    }
    assertThat(backend.conns()).allSatisfy(c -> assertThat(c.switched()).isFalse());
    assertThat(backend.conns().stream().flatMap(c -> c.heads().stream()).toList())
        .hasSize(3)
        .satisfies(heads -> assertThat(heads.get(1)).startsWith("GET /next HTTP/1.1"));
  }

  @Test
  void tunnelBytesAfterADeclinedUpgradeAreABadRequestAndNeverReachTheBackend() throws Exception {
    start(
        new TunnelBackend(
            (c, i, head) -> "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n", false, true));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.output().write(UPGRADE.getBytes(StandardCharsets.ISO_8859_1));
      client.output().write(new byte[] {(byte) 0x81, (byte) 0x82, 1, 2, 3, 4, 'h', 'i'});
      client.output().flush();
      assertThat(client.read().status()).isEqualTo(403);
      assertThat(client.read().status()).isEqualTo(400);
      assertThat(client.closedByPeer()).isTrue();
    }
    assertThat(backend.conns().stream().mapToInt(c -> c.heads().size()).sum()).isEqualTo(1);
  }

  @Test
  void anUpgradeWithABodySendsTheBodyAsBodyAndOnlyLaterBytesThroughTheTunnel() throws Exception {
    start(TunnelBackend.echoing());
    String request =
        "POST /chat HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Content-Length: 5\r\n\r\nhello";
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(request + "after").read().status()).isEqualTo(101);
      assertThat(ascii(readExactly(client.input(), 5))).isEqualTo("after");
    }
    TunnelBackend.Conn conn = backend.conns().get(0);
    assertThat(conn.bodies()).containsExactly("hello");
    assertThat(ascii(conn.tunnelBytes())).isEqualTo("after");
  }

  @Test
  void h2cIsDeclinedByForwardingWithoutTheUpgradeFields() throws Exception {
    start(
        new TunnelBackend(
            (c, i, head) -> "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nh1\n", false, true));
    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          client
              .send(
                  "GET / HTTP/1.1\r\nHost: app\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                      + "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n")
              .read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("upgrade")).isNull();
    }
    String head = backend.conns().get(0).heads().get(0).toLowerCase(java.util.Locale.ROOT);
    assertThat(head).doesNotContain("upgrade").doesNotContain("http2-settings");
  }

  @Test
  void anUpgradeIsNeverMirrored() throws Exception {
    AtomicInteger asked = new AtomicInteger();
    start(
        new TunnelBackend(
            (c, i, head) ->
                head.startsWith("GET /chat")
                    ? TunnelBackend.SWITCH
                    : "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            true,
            true),
        Duration.ofHours(1),
        (request, exchange, loop) -> {
          asked.incrementAndGet();
          return null;
        });
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send("GET /plain HTTP/1.1\r\nHost: app\r\n\r\n").read().status())
          .isEqualTo(200);
      assertThat(asked).hasValue(1);
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
    }
    assertThat(asked).hasValue(1);
  }

  @Test
  void theClientClosingClosesTheBackendSide() throws Exception {
    start(TunnelBackend.echoing());
    RawHttp client = new RawHttp(proxy.port());
    assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
    client.send("last words");
    client.close();
    TunnelBackend.Conn conn = backend.conns().get(0);
    await().atMost(Duration.ofSeconds(10)).until(conn::closed);
    assertThat(ascii(conn.tunnelBytes())).isEqualTo("last words");
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.forwarding().openTunnels() == 0);
  }

  @Test
  void theBackendClosingDeliversItsLastBytesThenClosesTheClient() throws Exception {
    start(TunnelBackend.echoing());
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
      await().atMost(Duration.ofSeconds(10)).until(() -> backend.conns().get(0).switched());
      TunnelBackend.Conn conn = backend.conns().get(0);
      conn.send("goodbye".getBytes(StandardCharsets.ISO_8859_1));
      conn.close();
      assertThat(ascii(readExactly(client.input(), 7))).isEqualTo("goodbye");
      assertThat(client.closedByPeer()).isTrue();
    }
  }

  @Test
  void anIdleTunnelIsClosedAfterTunnelIdle() throws Exception {
    start(TunnelBackend.echoing(), Duration.ofMillis(300), null);
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
      assertThat(client.closedByPeer()).isTrue(); // blocks until the proxy closes (10 s timeout)
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
  }

  @Test
  void aDrainClosesTheTunnelsStillOpen() throws Exception {
    start(TunnelBackend.echoing());
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
      assertThat(proxy.forwarding().openTunnels()).isEqualTo(1);
      assertThat(proxy.forwarding().awaitIdle(Duration.ofMillis(100))).isFalse();
      assertThat(proxy.forwarding().closeTunnels()).isEqualTo(1);
      assertThat(client.closedByPeer()).isTrue();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> backend.openConnections() == 0);
    assertThat(proxy.forwarding().awaitIdle(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void anUpgradeAskedWhileDrainingIsDeclinedAndItsConnectionClosed() throws Exception {
    start(
        new TunnelBackend(
            (c, i, head) ->
                head.toLowerCase(java.util.Locale.ROOT).contains("upgrade: websocket")
                    ? TunnelBackend.SWITCH
                    : "HTTP/1.1 426 Upgrade Required\r\nContent-Length: 0\r\n\r\n",
            true,
            true));
    try (RawHttp client = new RawHttp(proxy.port())) {
      // a keep-alive connection opened before the drain began
      assertThat(client.send("GET /before HTTP/1.1\r\nHost: app\r\n\r\n").read().status())
          .isEqualTo(426);
      proxy.forwarding().setDraining(true);
      RawHttp.Response r = client.send(UPGRADE).read();
      assertThat(r.status()).isEqualTo(426);
      assertThat(r.header("connection")).isEqualToIgnoringCase("close");
      assertThat(client.closedByPeer()).isTrue();
    } finally {
      proxy.forwarding().setDraining(false);
    }
    assertThat(proxy.forwarding().openTunnels()).isZero();
    List<String> heads = backend.conns().stream().flatMap(c -> c.heads().stream()).toList();
    assertThat(heads).hasSize(2);
    assertThat(heads.get(1).toLowerCase(java.util.Locale.ROOT))
        .startsWith("get /chat")
        .doesNotContain("upgrade");
  }

  @Test
  void aClientThatStopsReadingStopsTheBackendStreamWithBoundedBuffering() throws Exception {
    start(new TunnelBackend((c, i, head) -> TunnelBackend.SWITCH, false, false));
    long total = 128L << 20;
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
      await().atMost(Duration.ofSeconds(10)).until(() -> backend.conns().get(0).switched());
      TunnelBackend.Conn conn = backend.conns().get(0);
      Thread writer = new Thread(() -> streamQuietly(conn, total), "backend-stream");
      writer.start();
      InputStream in = client.input();
      long read = in.readNBytes(1 << 20).length;
      // The client pauses: the backend's writes must stall once the buffers on the way are full.
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> last.getAndSet(conn.written()) == conn.written());
      long buffered = conn.written() - read;
      assertThat(buffered).isLessThan(48L << 20).isLessThan(total - read);
      // Reading again lets the rest through, all of it.
      byte[] buf = new byte[64 * 1024];
      int n;
      while (read < total && (n = in.read(buf)) > 0) {
        read += n;
      }
      assertThat(read).isEqualTo(total);
      writer.join(10_000);
    }
  }

  @Test
  void aBackendThatStopsReadingStopsTheClientStreamWithBoundedBuffering() throws Exception {
    start(new TunnelBackend((c, i, head) -> TunnelBackend.SWITCH, false, false));
    long total = 128L << 20;
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(UPGRADE).read().status()).isEqualTo(101);
      await().atMost(Duration.ofSeconds(10)).until(() -> backend.conns().get(0).switched());
      TunnelBackend.Conn conn = backend.conns().get(0);
      conn.pauseReading();
      AtomicLong written = new AtomicLong();
      Thread writer =
          new Thread(
              () -> {
                byte[] piece = new byte[64 * 1024];
                try {
                  while (written.get() < total) {
                    client.output().write(piece);
                    written.addAndGet(piece.length);
                  }
                  client.output().flush();
                } catch (IOException e) {
                  // the test failed elsewhere and closed the socket
                }
              },
              "client-stream");
      writer.start();
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> last.getAndSet(written.get()) == written.get());
      assertThat(written.get() - conn.tunnelRead()).isLessThan(48L << 20);
      assertThat(written.get()).isLessThan(total);
      conn.resumeReading();
      await().atMost(Duration.ofSeconds(60)).until(() -> conn.tunnelRead() == total);
      writer.join(10_000);
    }
  }

  private static void streamQuietly(TunnelBackend.Conn conn, long total) {
    try {
      conn.stream(total);
    } catch (IOException e) {
      // the client went away
    }
  }
}
