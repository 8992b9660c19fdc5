package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.TlsConfig;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.canaryproxy.testing.TestConfigs;
import io.canaryproxy.testing.WebSocketEchoServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK's own WebSocket client through the proxy to a real WebSocket server (Netty's {@code
 * WebSocketServerProtocolHandler}), over plain TCP and over TLS terminated by the proxy, routed by
 * user like any request.
 */
class WebSocketIT {
  @TempDir Path dir;
  private WebSocketEchoServer stable;
  private WebSocketEchoServer canary;
  private StubServer plain;
  private RunningProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : new AutoCloseable[] {stable, canary, plain}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          // best effort
        }
      }
    }
  }

  private void start(TlsConfig tls) throws Exception {
    stable = WebSocketEchoServer.start("stable");
    canary = WebSocketEchoServer.start("canary");
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
            TestConfigs.routing(50, List.of(), "127.0.0.1/32"),
            TestConfigs.defaultTimeouts(),
            TestConfigs.defaultLimits());
    if (tls != null) {
      config = config.withListenerSecurity(tls, false);
    }
    proxy = new RunningProxy(config);
  }

  /** Collects the text messages a WebSocket receives. */
  private static final class Messages implements WebSocket.Listener {
    final BlockingQueue<String> texts = new LinkedBlockingQueue<>();
    final BlockingQueue<ByteBuffer> binaries = new LinkedBlockingQueue<>();
    private final StringBuilder partial = new StringBuilder();

    @Override
    public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
      partial.append(data);
      if (last) {
        texts.add(partial.toString());
        partial.setLength(0);
      }
      ws.request(1);
      return null;
    }

    @Override
    public CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
      ByteBuffer copy = ByteBuffer.allocate(data.remaining());
      copy.put(data).flip();
      binaries.add(copy);
      ws.request(1);
      return null;
    }

    String next() throws InterruptedException {
      String s = texts.poll(10, TimeUnit.SECONDS);
      assertThat(s).as("a message within 10 s").isNotNull();
      return s;
    }
  }

  private static WebSocket open(HttpClient client, String url, String user, Messages messages)
      throws Exception {
    WebSocket.Builder b = client.newWebSocketBuilder().connectTimeout(Duration.ofSeconds(5));
    if (user != null) {
      b.header("x-user-id", user);
    }
    return b.buildAsync(URI.create(url), messages).get(10, TimeUnit.SECONDS);
  }

  /** A user id the proxy routes to {@code variant}, found by asking through plain HTTP. */
  private String userIn(HttpClient client, String variant) throws Exception {
    return userIn(client, variant, proxy.url("/who"));
  }

  private String userIn(HttpClient client, String variant, String url) throws Exception {
    for (int i = 0; i < 200; i++) {
      String user = "user-" + i;
      HttpResponse<String> r =
          client.send(
              HttpRequest.newBuilder(URI.create(url)).header("x-user-id", user).build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.body().trim().equals(variant)) {
        return user;
      }
    }
    throw new AssertionError("no user routed to " + variant + " among 200");
  }

  @Test
  void messagesGoBothWaysAndAUserStaysOnItsVariantAcrossReconnects() throws Exception {
    start(null);
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    String canaryUser = userIn(client, "canary");
    String stableUser = userIn(client, "stable");
    String url = "ws://127.0.0.1:" + proxy.port() + "/ws";
    for (int round = 0; round < 3; round++) {
      Messages m = new Messages();
      WebSocket ws = open(client, url, canaryUser, m);
      ws.sendText("hello " + round, true).get(10, TimeUnit.SECONDS);
      assertThat(m.next()).isEqualTo("canary:hello " + round);
      ws.sendBinary(ByteBuffer.wrap(new byte[] {1, 2, 3}), true).get(10, TimeUnit.SECONDS);
      assertThat(m.binaries.poll(10, TimeUnit.SECONDS))
          .isEqualTo(ByteBuffer.wrap(new byte[] {1, 2, 3}));
      ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }
    Messages m = new Messages();
    WebSocket ws = open(client, url, stableUser, m);
    ws.sendText("hi", true).get(10, TimeUnit.SECONDS);
    assertThat(m.next()).isEqualTo("stable:hi");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);

    assertThat(canary.handshakes()).hasSize(3);
    assertThat(canary.handshakes().get(0).get("x-forwarded-for")).isEqualTo("127.0.0.1");
    assertThat(stable.handshakes()).hasSize(1);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(proxy.forwarding().openTunnels()).isZero();
              assertThat(canary.openConnections()).isZero();
            });
    assertThat(proxy.done().stream().filter(d -> d.status() == 101))
        .hasSize(4)
        .allSatisfy(d -> assertThat(d.mirrored()).isFalse());
  }

  @Test
  void wssThroughTlsTermination() throws Exception {
    assumeTrue(TestCertificates.available("openssl"), "openssl is not installed here");
    TestCertificates certs = TestCertificates.create(dir);
    certs.leaf("server", "canary proxy test", null);
    start(
        new TlsConfig(
            dir.resolve("server.pem"),
            dir.resolve("server.key"),
            null,
            TlsConfig.ClientAuth.NONE,
            TlsConfig.PROTOCOLS,
            List.of()));
    HttpClient client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .sslContext(certs.clientContext())
            .build();
    Messages m = new Messages();
    WebSocket ws =
        open(
            client,
            "wss://127.0.0.1:" + proxy.port() + "/ws",
            userIn(client, "canary", "https://127.0.0.1:" + proxy.port() + "/who"),
            m);
    ws.sendText("secure", true).get(10, TimeUnit.SECONDS);
    assertThat(m.next()).isEqualTo("canary:secure");
    ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    assertThat(canary.handshakes().get(0).get("x-forwarded-proto")).isEqualTo("https");
  }

  @Test
  void aBackendThatAnswers200GivesAnOrdinaryResponseOnAUsableConnection() throws Exception {
    plain = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "plain\n"));
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", plain.endpoint(), "canary", plain.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    assertThatThrownBy(
            () -> open(client, "ws://127.0.0.1:" + proxy.port() + "/ws", null, new Messages()))
        .isInstanceOf(ExecutionException.class)
        .cause()
        .isInstanceOf(WebSocketHandshakeException.class)
        .satisfies(
            e ->
                assertThat(((WebSocketHandshakeException) e).getResponse().statusCode())
                    .isEqualTo(200));
    assertThat(plain.received().get(0).header("upgrade")).isEqualToIgnoringCase("websocket");
    HttpResponse<String> after =
        client.send(
            HttpRequest.newBuilder(URI.create(proxy.url("/after"))).build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(after.body()).isEqualTo("plain\n");
    assertThat(proxy.forwarding().openTunnels()).isZero();
  }
}
