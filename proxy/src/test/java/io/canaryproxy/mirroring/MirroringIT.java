package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.MirrorConfig.CompareConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.mirroring.MirrorStats.Part;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Mirroring over real loopback sockets: sampling, bodies, marking, isolation from a bad shadow,
 * comparison.
 */
class MirroringIT {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private StubServer stable;
  private StubServer canary;
  private StubServer shadow;
  private RunningProxy proxy;
  private Mirroring mirroring;
  private final List<Long> shadowLatencies = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> closeables = new CopyOnWriteArrayList<>();

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
    for (AutoCloseable c : closeables) {
      c.close();
    }
  }

  private void start(
      StubServer.Behavior stableBehavior, String shadowEndpoint, MirrorConfigs mirror)
      throws InterruptedException {
    stable = StubServer.start(stableBehavior);
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
            mirror.config(),
            config.backends(),
            "stable",
            "test-salt",
            config.timeouts(),
            shadowLatencies::add);
    proxy = new RunningProxy(config, mirroring);
  }

  private void startWithShadow(
      StubServer.Behavior stableBehavior, StubServer.Behavior shadowBehavior, MirrorConfigs m)
      throws InterruptedException {
    shadow = StubServer.start(shadowBehavior);
    start(stableBehavior, shadow.endpoint(), m);
  }

  private static void ok(ChannelHandlerContext ctx, StubServer.Received req) {
    StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n");
  }

  private MirrorStats stats() {
    return mirroring.stats();
  }

  /** True when every started shadow request has ended. */
  private boolean settled() {
    return stats().inFlight() == 0;
  }

  private static String get(String path, String extraHeaders) {
    return "GET " + path + " HTTP/1.1\r\nHost: app.example:8080\r\n" + extraHeaders + "\r\n";
  }

  private static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static long crc(byte[] b) {
    CRC32 crc = new CRC32();
    crc.update(b);
    return crc.getValue();
  }

  private static void postLength(RawHttp http, String path, byte[] body) throws IOException {
    http.send(
        "POST " + path + " HTTP/1.1\r\nHost: app\r\nContent-Length: " + body.length + "\r\n\r\n");
    http.output().write(body);
    http.output().flush();
  }

  private static void postChunked(RawHttp http, String path, byte[] body, int chunk)
      throws IOException {
    http.send("POST " + path + " HTTP/1.1\r\nHost: app\r\nTransfer-Encoding: chunked\r\n\r\n");
    OutputStream out = http.output();
    for (int i = 0; i < body.length; i += chunk) {
      int n = Math.min(chunk, body.length - i);
      out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(body, i, n);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
  }

  private StubServer.Received receivedAt(StubServer server, String uri) {
    return server.received().stream().filter(r -> r.uri().equals(uri)).findFirst().orElse(null);
  }

  @Test
  void tenPercentOfTwentyThousandRequestsReachTheShadow() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "shadow\n"),
        MirrorConfigs.percent(10));
    int connections = 4;
    int perConnection = 5_000;
    int batch = 100;
    ExecutorService pool = Executors.newFixedThreadPool(connections);
    try {
      List<Future<Integer>> results = new CopyOnWriteArrayList<>();
      for (int c = 0; c < connections; c++) {
        results.add(
            pool.submit(
                () -> {
                  int okCount = 0;
                  try (RawHttp http = new RawHttp(proxy.port())) {
                    String requests = get("/s?x=1", "").repeat(batch);
                    for (int sent = 0; sent < perConnection; sent += batch) {
                      http.send(requests);
                      for (int i = 0; i < batch; i++) {
                        if (http.read().status() == 200) {
                          okCount++;
                        }
                      }
                    }
                  }
                  return okCount;
                }));
      }
      for (Future<Integer> f : results) {
        assertThat(f.get()).isEqualTo(perConnection);
      }
    } finally {
      pool.shutdownNow();
    }
    await().atMost(WAIT).until(this::settled);
    long sent = stats().requests(Outcome.SENT);
    assertThat(sent).isBetween(1_800L, 2_200L);
    assertThat(shadow.received()).hasSize((int) sent);
    assertThat(stats().requests(Outcome.COMPLETED)).isEqualTo(sent);
    assertThat(stats().requests(Outcome.DROPPED_INFLIGHT)).isZero();
    assertThat(shadowLatencies).hasSize((int) sent);
    assertThat(proxy.done().stream().filter(d -> d.mirrored()).count()).isEqualTo(sent);
  }

  @Test
  void postIsNotMirroredByDefault() throws Exception {
    startWithShadow(MirroringIT::ok, MirroringIT::ok, MirrorConfigs.percent(100));
    byte[] body = randomBytes(10_000, 1);
    try (RawHttp http = new RawHttp(proxy.port())) {
      postLength(http, "/post", body);
      assertThat(http.read().status()).isEqualTo(200);
      http.send(get("/after", ""));
      assertThat(http.read().status()).isEqualTo(200);
    }
    await().atMost(WAIT).until(() -> shadow.received().size() == 1 && settled());
    assertThat(shadow.received()).extracting(StubServer.Received::method).containsExactly("GET");
    assertThat(receivedAt(stable, "/post").crc32()).isEqualTo(crc(body));
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(1);
  }

  @Test
  void listedPostReachesTheShadowByteIdentical() throws Exception {
    startWithShadow(
        MirroringIT::ok, MirroringIT::ok, MirrorConfigs.percent(100).methods("GET", "POST"));
    byte[] fixed = randomBytes(300_000, 2);
    byte[] chunked = randomBytes(200_000, 3);
    try (RawHttp http = new RawHttp(proxy.port())) {
      postLength(http, "/fixed", fixed);
      assertThat(http.read().status()).isEqualTo(200);
      postChunked(http, "/chunked", chunked, 7_000);
      assertThat(http.read().status()).isEqualTo(200);
    }
    await().atMost(WAIT).until(() -> shadow.received().size() == 2 && settled());
    for (String uri : new String[] {"/fixed", "/chunked"}) {
      StubServer.Received primary = receivedAt(stable, uri);
      StubServer.Received copy = receivedAt(shadow, uri);
      assertThat(copy.bodyBytes()).isEqualTo(primary.bodyBytes());
      assertThat(copy.crc32()).isEqualTo(primary.crc32());
    }
    assertThat(receivedAt(shadow, "/fixed").crc32()).isEqualTo(crc(fixed));
    assertThat(receivedAt(shadow, "/chunked").crc32()).isEqualTo(crc(chunked));
  }

  @Test
  void bodyOverTheLimitReachesThePrimaryWholeAndIsNotMirrored() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        MirroringIT::ok,
        MirrorConfigs.percent(100)
            .methods("GET", "POST")
            .limits(64 * 1024, 256, Duration.ofSeconds(5)));
    byte[] declared = randomBytes(200_000, 4);
    byte[] growing = randomBytes(200_000, 5);
    try (RawHttp http = new RawHttp(proxy.port())) {
      postLength(http, "/declared", declared);
      assertThat(http.read().status()).isEqualTo(200);
      postChunked(http, "/growing", growing, 16_000);
      assertThat(http.read().status()).isEqualTo(200);
      http.send(get("/after", ""));
      assertThat(http.read().status()).isEqualTo(200);
    }
    await().atMost(WAIT).until(() -> receivedAt(shadow, "/after") != null && settled());
    assertThat(receivedAt(stable, "/declared").crc32()).isEqualTo(crc(declared));
    assertThat(receivedAt(stable, "/growing").crc32()).isEqualTo(crc(growing));
    assertThat(shadow.received()).extracting(StubServer.Received::uri).containsExactly("/after");
    assertThat(stats().requests(Outcome.BODY_TOO_LARGE)).isEqualTo(2);
    // the declared one was never started; the chunked one was started, then cut off
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(2);
  }

  @Test
  void shadowRequestIsMarked() throws Exception {
    startWithShadow(MirroringIT::ok, MirroringIT::ok, MirrorConfigs.percent(100));
    try (RawHttp http = new RawHttp(proxy.port())) {
      http.send(get("/mark?q=1", "x-user-id: u1\r\n"));
      assertThat(http.read().status()).isEqualTo(200);
    }
    await().atMost(WAIT).until(() -> shadow.received().size() == 1);
    StubServer.Received copy = shadow.received().get(0);
    assertThat(copy.uri()).isEqualTo("/mark?q=1");
    assertThat(copy.header("host")).isEqualTo("app.example-shadow:8080");
    assertThat(copy.header(ShadowRequests.MIRROR_HEADER.toString())).isEqualTo("1");
    assertThat(copy.header("x-user-id")).isEqualTo("u1");
    StubServer.Received primary = stable.received().get(0);
    assertThat(primary.header("host")).isEqualTo("app.example:8080");
    assertThat(primary.header(ShadowRequests.MIRROR_HEADER.toString())).isNull();
  }

  @Test
  void shadowRefusingConnectionsIsInvisibleToClients() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    // Ejection off: every one of the 200 copies is tried (ShadowEjectionIT covers ejection).
    start(MirroringIT::ok, "127.0.0.1:" + closedPort, MirrorConfigs.percent(100).noEjection());
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 200; i++) {
        http.send(get("/r", ""));
        RawHttp.Response r = http.read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("stable\n");
      }
    }
    await().atMost(WAIT).until(() -> stats().requests(Outcome.FAILED) == 200 && settled());
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(200);
    assertThat(proxy.done()).allSatisfy(d -> assertThat(d.failure()).isNull());
  }

  @Test
  void shadowThatNeverAnswersDoesNotDelayClients() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        (ctx, req) -> {},
        MirrorConfigs.percent(100).limits(1 << 20, 32, Duration.ofMillis(500)).noEjection());
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 1_000; i++) {
        http.send(get("/n", ""));
        RawHttp.Response r = http.read();
        assertThat(r.status()).isEqualTo(200);
        assertThat(stats().inFlight()).isLessThanOrEqualTo(32);
      }
    }
    long sent = stats().requests(Outcome.SENT);
    assertThat(sent + stats().requests(Outcome.DROPPED_INFLIGHT)).isEqualTo(1_000);
    assertThat(stats().requests(Outcome.DROPPED_INFLIGHT)).isPositive();
    await().atMost(WAIT).until(() -> stats().requests(Outcome.TIMEOUT) == sent && settled());
    assertThat(stats().requests(Outcome.COMPLETED)).isZero();
    assertThat(shadow.connections()).isLessThanOrEqualTo((int) sent);
  }

  /**
   * A shadow that accepts connections and never reads from them, with a small receive buffer;
   * closed after the test. Its accept queue holds more connections than a test makes, so that no
   * connect waits for the accepting thread.
   */
  private String nonReadingShadow() throws IOException {
    ServerSocket sink = new ServerSocket();
    sink.setReceiveBufferSize(4096);
    sink.bind(new InetSocketAddress("127.0.0.1", 0), 2048);
    ConcurrentLinkedQueue<Socket> accepted = new ConcurrentLinkedQueue<>();
    Thread acceptor =
        new Thread(
            () -> {
              try {
                while (true) {
                  accepted.add(sink.accept()); // accepted and never read
                }
              } catch (IOException closed) {
                // the test is over
              }
            },
            "non-reading-shadow");
    acceptor.setDaemon(true);
    acceptor.start();
    closeables.add(
        () -> {
          sink.close();
          for (Socket s : accepted) {
            s.close();
          }
        });
    return "127.0.0.1:" + sink.getLocalPort();
  }

  @Test
  void shadowThatStopsReadingDoesNotDelayClients() throws Exception {
    start(
        MirroringIT::ok,
        nonReadingShadow(),
        MirrorConfigs.percent(100)
            .methods("GET", "POST")
            .limits(8 << 20, 32, Duration.ofMillis(500))
            .noEjection());
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 1_000; i++) {
        http.send(get("/q", ""));
        assertThat(http.read().status()).isEqualTo(200);
      }
    }
    await().atMost(WAIT).until(this::settled);
    assertThat(stats().requests(Outcome.COMPLETED)).isZero();
    assertThat(stats().requests(Outcome.DROPPED_UNWRITABLE)).isZero();
    assertThat(proxy.done()).hasSize(1_000).allSatisfy(d -> assertThat(d.status()).isEqualTo(200));
  }

  /**
   * A copy larger than what the kernel buffers between the proxy and a shadow that does not read (4
   * MiB send buffer) is given up once the shadow connection cannot take more bytes, while the
   * primary gets the whole body. The copies' timeout is far longer than the test, so that nothing
   * but the full connection can end them: with a short one, a client slow to send the body after
   * the head (a loaded machine) saw the copy time out first.
   */
  @Test
  void aCopyTheShadowCannotTakeIsDroppedWithoutDelayingTheClient() throws Exception {
    start(
        MirroringIT::ok,
        nonReadingShadow(),
        MirrorConfigs.percent(100)
            .methods("GET", "POST")
            .limits(8 << 20, 32, Duration.ofMinutes(10))
            .noEjection());
    byte[] body = randomBytes(6 << 20, 6);
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 3; i++) {
        postLength(http, "/big" + i, body);
        assertThat(http.read().status()).isEqualTo(200);
        assertThat(receivedAt(stable, "/big" + i).crc32()).isEqualTo(crc(body));
      }
    }
    await().atMost(WAIT).until(this::settled);
    assertThat(stats().requests(Outcome.COMPLETED)).isZero();
    assertThat(stats().requests(Outcome.DROPPED_UNWRITABLE))
        .as(stats().snapshot().toString())
        .isEqualTo(3);
    assertThat(proxy.done()).hasSize(3).allSatisfy(d -> assertThat(d.status()).isEqualTo(200));
  }

  // ---- comparison ----

  private static void json(ChannelHandlerContext ctx, String body) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse r =
        new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
    r.headers()
        .set("content-type", "application/json")
        .setInt("content-length", content.readableBytes());
    ctx.writeAndFlush(r);
  }

  private void getMany(String path, int n) throws IOException {
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < n; i++) {
        http.send(get(path, ""));
        assertThat(http.read().status()).isEqualTo(200);
      }
    }
  }

  @Test
  void identicalBackendsNeverMismatch() throws Exception {
    startWithShadow(MirroringIT::ok, MirroringIT::ok, MirrorConfigs.percent(100));
    getMany("/same", 100);
    await().atMost(WAIT).until(() -> stats().compared() == 100);
    assertThat(stats().mismatches()).isZero();
    for (Part p : Part.values()) {
      assertThat(stats().comparisons(p, true, false)).isEqualTo(100);
    }
  }

  @Test
  void shadowAnswering500IsAStatusMismatch() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "stable\n"),
        MirrorConfigs.percent(100));
    getMany("/broken?token=secret", 20);
    await().atMost(WAIT).until(() -> stats().compared() == 20);
    assertThat(stats().mismatches()).isEqualTo(20);
    assertThat(stats().comparisons(Part.STATUS, false, false)).isEqualTo(20);
    assertThat(stats().comparisons(Part.BODY, true, false)).isEqualTo(20);
    assertThat(stats().recentMismatches())
        .hasSize(20)
        .allSatisfy(
            s -> {
              assertThat(s.path()).isEqualTo("/broken");
              assertThat(s.detail()).isEqualTo("status 200 vs 500");
            });
  }

  @Test
  void jsonFieldChangeIsABodyMismatchUnlessIgnored() throws Exception {
    startWithShadow(
        (ctx, req) ->
            json(ctx, "{\"id\":1,\"name\":\"a\",\"timestamp\":" + System.nanoTime() + "}"),
        (ctx, req) ->
            json(
                ctx,
                "{\"id\":1,\"name\":\""
                    + (req.uri().equals("/changed") ? "b" : "a")
                    + "\",\"timestamp\":"
                    + System.nanoTime()
                    + "}"),
        MirrorConfigs.percent(100)
            .compare(
                new CompareConfig(
                    true,
                    List.of("content-type"),
                    256 << 10,
                    true,
                    List.of("$.timestamp"),
                    false)));
    getMany("/changed", 10);
    getMany("/ignored", 10);
    await().atMost(WAIT).until(() -> stats().compared() == 20);
    assertThat(stats().comparisons(Part.BODY, false, false)).isEqualTo(10);
    assertThat(stats().comparisons(Part.BODY, true, false)).isEqualTo(10);
    assertThat(stats().comparisons(Part.STATUS, false, false)).isZero();
    assertThat(stats().recentMismatches())
        .hasSize(10)
        .allSatisfy(
            s -> {
              assertThat(s.path()).isEqualTo("/changed");
              assertThat(s.detail()).isEqualTo("body json at $.name");
            });
  }

  @Test
  void stableBaselineMeasuresNoiseApart() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "shadow\n"),
        MirrorConfigs.percent(100)
            .compare(
                new CompareConfig(
                    true, List.of("content-type"), 256 << 10, false, List.of(), true)));
    getMany("/b", 30);
    await().atMost(WAIT).until(() -> stats().compared() == 30 && settled());
    assertThat(stats().requests(Outcome.SENT)).isEqualTo(60);
    assertThat(stats().mismatches()).isEqualTo(30);
    assertThat(stats().comparisons(Part.BODY, false, false)).isEqualTo(30);
    assertThat(stats().comparisons(Part.BODY, true, true)).isEqualTo(30);
    assertThat(stats().comparisons(Part.BODY, false, true)).isZero();
    // what the judge reads as the comparison's noise floor
    assertThat(stats().baselineCompared()).isEqualTo(30);
    assertThat(stats().baselineMismatches()).isZero();
    assertThat(stable.received()).hasSize(60);
    assertThat(stable.received().stream().filter(r -> r.header("x-canary-mirror") != null).count())
        .isEqualTo(30);
  }

  @Test
  void withComparisonOffCopiesAreStillSentAndCompleted() throws Exception {
    startWithShadow(
        MirroringIT::ok,
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.INTERNAL_SERVER_ERROR, "shadow\n"),
        MirrorConfigs.percent(100)
            .compare(
                new CompareConfig(
                    false, List.of("content-type"), 256 << 10, false, List.of(), false)));
    getMany("/off", 10);
    await().atMost(WAIT).until(() -> stats().requests(Outcome.COMPLETED) == 10 && settled());
    assertThat(shadow.received()).hasSize(10);
    assertThat(stats().compared()).isZero();
    assertThat(stats().mismatches()).isZero();
  }
}
