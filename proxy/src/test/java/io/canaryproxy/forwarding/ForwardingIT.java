package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The forwarding path over real loopback sockets: keep-alive, pipelining, streaming, HTTP/1.1
 * rules, failures.
 */
class ForwardingIT {
  private static final long FIFTY_MIB = 50L * 1024 * 1024;

  private StubServer stable;
  private StubServer canary;
  private RunningProxy proxy;
  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @AfterEach
  void tearDown() {
    if (proxy != null) {
      proxy.close();
    }
    if (stable != null) {
      stable.close();
    }
    if (canary != null) {
      canary.close();
    }
  }

  private void startProxy(TimeoutsConfig timeouts) throws InterruptedException {
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                timeouts,
                TestConfigs.defaultLimits()));
  }

  private void startDefault(StubServer.Behavior stableBehavior) throws InterruptedException {
    stable = StubServer.start(stableBehavior);
    canary = StubServer.named("canary");
    startProxy(TestConfigs.defaultTimeouts());
  }

  @Test
  void keepAliveReusesBackendConnections() throws Exception {
    startDefault((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n"));
    for (int i = 0; i < 200; i++) {
      var response =
          client.send(
              HttpRequest.newBuilder(URI.create(proxy.url("/k?i=" + i))).build(),
              BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("stable\n");
    }
    assertThat(stable.received()).hasSize(200);
    assertThat(stable.connections()).isLessThanOrEqualTo(2);
  }

  @Test
  void pipelinedRequestsAreAnsweredInOrder() throws Exception {
    // The first request is the slowest, so answering out of order would show.
    startDefault(
        (ctx, req) -> {
          long delay = req.uri().equals("/1") ? 300 : req.uri().equals("/2") ? 100 : 0;
          StubServer.delayed(
                  delay,
                  (c, r) -> StubServer.reply(c, HttpResponseStatus.OK, "body" + r.uri() + "\n"))
              .respond(ctx, req);
        });
    try (RawHttp raw = new RawHttp(proxy.port())) {
      raw.send(
          "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
              + "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n"
              + "GET /3 HTTP/1.1\r\nHost: a\r\n\r\n");
      assertThat(raw.read().bodyText()).isEqualTo("body/1\n");
      assertThat(raw.read().bodyText()).isEqualTo("body/2\n");
      assertThat(raw.read().bodyText()).isEqualTo("body/3\n");
    }
  }

  @Test
  void fiftyMebibyteChunkedUploadStreamsThroughIntact() throws Exception {
    startDefault(
        (ctx, req) ->
            StubServer.reply(ctx, HttpResponseStatus.OK, req.bodyBytes() + ":" + req.crc32()));
    CRC32 expected = new CRC32();
    for (long i = 0; i < FIFTY_MIB; i++) {
      expected.update(StubServer.patternByte(i));
    }
    var response =
        client.send(
            HttpRequest.newBuilder(URI.create(proxy.url("/upload")))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new PatternStream(FIFTY_MIB)))
                .build(),
            BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo(FIFTY_MIB + ":" + expected.getValue());
    assertThat(stable.received().get(0).header("transfer-encoding")).isEqualTo("chunked");
  }

  @Test
  void fiftyMebibyteChunkedDownloadStreamsThroughIntact() throws Exception {
    startDefault((ctx, req) -> StubServer.streamChunked(ctx, FIFTY_MIB));
    var response =
        client.send(
            HttpRequest.newBuilder(URI.create(proxy.url("/download"))).build(),
            BodyHandlers.ofInputStream());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("transfer-encoding")).hasValue("chunked");
    long n = 0;
    boolean intact = true;
    try (InputStream in = response.body()) {
      byte[] buf = new byte[64 * 1024];
      int r;
      while ((r = in.read(buf)) > 0) {
        for (int i = 0; i < r; i++) {
          intact &= buf[i] == StubServer.patternByte(n + i);
        }
        n += r;
      }
    }
    assertThat(n).isEqualTo(FIFTY_MIB);
    assertThat(intact).as("every byte in order").isTrue();
  }

  @Test
  void backendThatRefusesConnectionsGives502() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    canary = StubServer.named("canary");
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", "127.0.0.1:" + closedPort, "canary", canary.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response r = raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("connect_failed");
      // The connection stays usable after a failure on a request without a body.
      assertThat(raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(502);
    }
    await().until(() -> proxy.done().size() == 2);
    assertThat(proxy.done())
        .allMatch(d -> "connect_failed".equals(d.failure()) && d.status() == 502);
  }

  @Test
  void backendTooSlowGives504() throws Exception {
    stable =
        StubServer.start(
            StubServer.delayed(
                3_000, (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "late")));
    canary = StubServer.named("canary");
    TimeoutsConfig d = TestConfigs.defaultTimeouts();
    startProxy(
        new TimeoutsConfig(
            d.connect(),
            Duration.ofMillis(300),
            d.clientIdle(),
            d.requestHeader(),
            d.backendIdle()));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response r = raw.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("response_timeout");
    }
  }

  @Test
  void aSlowResponseAfterAFastOneOnTheSameConnectionStillTimesOut() throws Exception {
    StubServer.Behavior fast = (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "fast");
    StubServer.Behavior slow = StubServer.delayed(3_000, fast);
    stable =
        StubServer.start((ctx, req) -> (req.uri().equals("/slow") ? slow : fast).respond(ctx, req));
    canary = StubServer.named("canary");
    TimeoutsConfig d = TestConfigs.defaultTimeouts();
    startProxy(
        new TimeoutsConfig(
            d.connect(),
            Duration.ofMillis(300),
            d.clientIdle(),
            d.requestHeader(),
            d.backendIdle()));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(raw.send("GET /fast HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
      long sent = System.nanoTime();
      RawHttp.Response r = raw.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").read();
      // The timeout counts from the second request, not from the first one on this connection.
      assertThat(System.nanoTime() - sent).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("response_timeout");
    }
  }

  @Test
  void backendClosingMidResponseClosesTheClientConnection() throws Exception {
    startDefault(
        (ctx, req) -> {
          HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
          head.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 100);
          ctx.write(head);
          ctx.writeAndFlush(
                  new io.netty.handler.codec.http.DefaultHttpContent(
                      Unpooled.copiedBuffer("only ten b", StandardCharsets.US_ASCII)))
              .addListener(ChannelFutureListener.CLOSE);
        });
    try (RawHttp raw = new RawHttp(proxy.port())) {
      raw.send("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
      // The head promised 100 bytes; the client must see the connection end before them, never a
      // complete body.
      assertThatThrownBy(raw::read).isInstanceOf(IOException.class);
    }
    await().until(() -> proxy.done().size() == 1);
    assertThat(proxy.done().get(0).failure()).isEqualTo("connection_closed");
  }

  @Test
  void hopByHopHeadersAreRemovedAndForwardingHeadersAdded() throws Exception {
    startDefault(
        (ctx, req) ->
            StubServer.reply(
                ctx,
                HttpResponseStatus.OK,
                "ok",
                "Connection",
                "x-backend-private",
                "X-Backend-Private",
                "1",
                "Keep-Alive",
                "timeout=5"));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          raw.send(
                  "GET /h HTTP/1.1\r\nHost: shop.example\r\nConnection: x-private\r\nX-Private: secret\r\n"
                      + "Keep-Alive: timeout=5\r\nTE: trailers\r\nUpgrade: websocket\r\nProxy-Authorization: Basic eA==\r\n"
                      + "Proxy-Connection: keep-alive\r\nX-Forwarded-For: 203.0.113.7\r\nX-Kept: yes\r\n\r\n")
              .read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("x-backend-private")).isNull();
      assertThat(r.header("keep-alive")).isNull();
    }
    StubServer.Received got = stable.received().get(0);
    for (String gone :
        List.of(
            "connection",
            "x-private",
            "keep-alive",
            "te",
            "upgrade",
            "proxy-authorization",
            "proxy-connection")) {
      assertThat(got.header(gone)).as(gone).isNull();
    }
    assertThat(got.header("host")).isEqualTo("shop.example");
    assertThat(got.header("x-kept")).isEqualTo("yes");
    assertThat(got.header("x-forwarded-for")).isEqualTo("203.0.113.7, 127.0.0.1");
    assertThat(got.header("x-forwarded-proto")).isEqualTo("http");
    assertThat(got.header("x-forwarded-host")).isEqualTo("shop.example");
  }

  @Test
  void headAndNoContentResponsesKeepTheConnectionInSync() throws Exception {
    startDefault(
        (ctx, req) -> {
          if (req.uri().equals("/204")) {
            FullHttpResponse r =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
            ctx.writeAndFlush(r);
          } else if (req.method().equals("HEAD")) {
            // A HEAD answer announcing a chunked body that is not there.
            HttpResponse head =
                new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set(HttpHeaderNames.TRANSFER_ENCODING, "chunked");
            ctx.write(head);
            ctx.writeAndFlush(io.netty.handler.codec.http.LastHttpContent.EMPTY_LAST_CONTENT);
          } else {
            StubServer.reply(ctx, HttpResponseStatus.OK, "full body");
          }
        });
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response head = raw.send("HEAD /x HTTP/1.1\r\nHost: a\r\n\r\n").read(true);
      assertThat(head.status()).isEqualTo(200);
      assertThat(raw.send("GET /204 HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(204);
      RawHttp.Response get = raw.send("GET /x HTTP/1.1\r\nHost: a\r\n\r\n").read();
      assertThat(get.status()).isEqualTo(200);
      assertThat(get.bodyText()).isEqualTo("full body");
    }
  }

  @Test
  void expectContinueIsAnsweredAndTheBodyForwarded() throws Exception {
    startDefault(
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "got " + req.bodyBytes()));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      raw.send("POST /e HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
      assertThat(raw.read().status()).isEqualTo(100);
      RawHttp.Response r = raw.send("hello").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("got 5");
    }
    assertThat(stable.received().get(0).header("expect")).isNull();
  }

  @Test
  void http10ClientGetsAClosedDelimitedOrKeepAliveResponse() throws Exception {
    startDefault((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ten bytes!"));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response r = raw.send("GET / HTTP/1.0\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("ten bytes!");
      assertThat(raw.closedByPeer()).isTrue();
    }
    assertThat(stable.received().get(0).header("host")).isEqualTo(stable.endpoint());
  }

  /**
   * Answers the first request on each connection; closes a connection, unanswered, on its second
   * request.
   */
  private static final io.netty.util.AttributeKey<Boolean> SERVED =
      io.netty.util.AttributeKey.valueOf("served");

  private static void closeOnSecondRequest(
      io.netty.channel.ChannelHandlerContext ctx, StubServer.Received req) {
    if (ctx.channel().attr(SERVED).getAndSet(Boolean.TRUE) == null) {
      StubServer.reply(ctx, HttpResponseStatus.OK, "ok " + req.method());
    } else {
      ctx.close();
    }
  }

  @Test
  void bodilessIdempotentRequestIsRetriedOnceWhenAReusedConnectionDies() throws Exception {
    startDefault(ForwardingIT::closeOnSecondRequest);
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(raw.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").read().bodyText())
          .isEqualTo("ok GET");
      // The pooled connection is reused, the backend drops it, and the proxy sends the request
      // again on a new one.
      assertThat(raw.send("GET /2 HTTP/1.1\r\nHost: a\r\n\r\n").read().bodyText())
          .isEqualTo("ok GET");
    }
    assertThat(stable.connections()).isEqualTo(2);
    assertThat(stable.received())
        .extracting(StubServer.Received::uri)
        .containsExactly("/1", "/2", "/2");
  }

  @Test
  void requestWithABodyIsNotRetried() throws Exception {
    startDefault(ForwardingIT::closeOnSecondRequest);
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(raw.send("GET /1 HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
      RawHttp.Response r =
          raw.send("POST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi").read();
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("connection_closed");
    }
    assertThat(stable.received()).hasSize(2);
  }

  /** An input stream of {@code size} pattern bytes, generated as read. */
  private static final class PatternStream extends InputStream {
    private final long size;
    private long pos;

    PatternStream(long size) {
      this.size = size;
    }

    @Override
    public int read() {
      return pos < size ? StubServer.patternByte(pos++) : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= size) {
        return -1;
      }
      int n = (int) Math.min(len, size - pos);
      for (int i = 0; i < n; i++) {
        b[off + i] = StubServer.patternByte(pos++);
      }
      return n;
    }
  }
}
