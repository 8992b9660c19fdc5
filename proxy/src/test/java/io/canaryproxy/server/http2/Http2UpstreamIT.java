package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Backends with {@code protocol: h2c} on real sockets: HTTP/1.1 clients served by an HTTP/2 backend
 * (trailers only to a client that sent {@code TE: trailers}; no connection-specific field sent on
 * HTTP/2), streams multiplexed on one connection up to the backend's {@code
 * SETTINGS_MAX_CONCURRENT_STREAMS} and another connection past it, a GOAWAY or a refused stream
 * retried on a new stream when nothing of the request was processed, and the typed failures.
 */
class Http2UpstreamIT {
  private final List<AutoCloseable> open = new ArrayList<>();
  private RunningProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private H2Backend backend(H2Backend b) {
    open.add(b);
    return b;
  }

  private void startProxy(String endpoint, String extraYaml) throws Exception {
    startProxyWith("{ endpoints: [\"" + endpoint + "\"], protocol: h2c }", extraYaml);
  }

  private void startProxyWith(String backend, String extraYaml) throws Exception {
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: " + backend,
            "  canary: " + backend,
            "routing:",
            "  canaryPercent: 0",
            "  salt: \"h2-salt\"",
            extraYaml,
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));
  }

  /** Sends {@code request} (which should ask to close) and returns everything until the close. */
  private String exchange(String request) throws IOException {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(30_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private CompletableFuture<String> exchangeAsync(String request) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return exchange(request);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private static String get(String path, String extraHeaders) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: app.test\r\n"
        + extraHeaders
        + "Connection: close\r\n\r\n";
  }

  @Test
  void anHttp11ClientIsServedByAnH2cBackendWithTrailersOnlyWhenItAskedForThem() throws Exception {
    H2Backend h2 = backend(H2Backend.plain());
    startProxy(h2.endpoint(), "");

    String withTe =
        exchange(
            get("/a?q=1", "X-A: one\r\nTE: trailers\r\nKeep-Alive: timeout=5\r\nX-B: two\r\n"));
    assertThat(withTe).startsWith("HTTP/1.1 200 OK\r\n");
    assertThat(withTe.toLowerCase()).contains("transfer-encoding: chunked\r\n");
    assertThat(withTe).contains("h2 GET /a?q=1 0");
    // The trailer follows the last chunk.
    assertThat(withTe).containsPattern("\r\n0\r\nx-checksum: ok\r\n\r\n$");

    String withoutTe = exchange(get("/b", ""));
    assertThat(withoutTe).startsWith("HTTP/1.1 200 OK\r\n").contains("h2 GET /b 0");
    assertThat(withoutTe).doesNotContain("x-checksum").endsWith("\r\n0\r\n\r\n");

    String post =
        exchange(
            "POST /c HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    assertThat(post).startsWith("HTTP/1.1 200 OK\r\n").contains("h2 POST /c 5");

    Http2Headers first = h2.requests.get(0);
    assertThat(first.authority().toString()).isEqualTo("app.test");
    assertThat(first.scheme().toString()).isEqualTo("http");
    assertThat(first.get("te").toString()).isEqualTo("trailers");
    // each field with its own value (the client head's fields are views over its bytes)
    assertThat(first.get("x-a").toString()).isEqualTo("one");
    assertThat(first.get("x-b").toString()).isEqualTo("two");
    for (String field : List.of("connection", "keep-alive", "host", "transfer-encoding")) {
      assertThat(first.contains(field)).as("%s sent on HTTP/2", field).isFalse();
    }
    assertThat(h2.requests.get(2).get("content-length").toString()).isEqualTo("5");
    // Three exchanges, three streams, one connection.
    assertThat(h2.connections.get()).isEqualTo(1);
  }

  @Test
  void streamsShareAConnectionUpToTheBackendsLimitThenAnotherIsOpened() throws Exception {
    H2Backend many = backend(H2Backend.held(100));
    startProxy(many.endpoint(), "");
    List<CompletableFuture<String>> calls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      calls.add(exchangeAsync(get("/m" + i, "")));
    }
    await().untilAsserted(() -> assertThat(many.heldCount.get()).isEqualTo(4));
    assertThat(many.connections.get()).isEqualTo(1);
    many.releaseAll();
    for (CompletableFuture<String> c : calls) {
      assertThat(c.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200 OK\r\n");
    }
  }

  @Test
  void aBackendAllowingOneStreamGetsASecondConnectionForASecondRequest() throws Exception {
    H2Backend one = backend(H2Backend.held(1));
    startProxy(one.endpoint(), "");
    CompletableFuture<String> a = exchangeAsync(get("/one", ""));
    await().untilAsserted(() -> assertThat(one.heldCount.get()).isEqualTo(1));
    CompletableFuture<String> b = exchangeAsync(get("/two", ""));
    await().untilAsserted(() -> assertThat(one.heldCount.get()).isEqualTo(2));
    assertThat(one.connections.get()).isEqualTo(2);
    one.releaseAll();
    assertThat(a.get(30, TimeUnit.SECONDS)).contains("h2 GET /one 0");
    assertThat(b.get(30, TimeUnit.SECONDS)).contains("h2 GET /two 0");
  }

  @Test
  void aGoAwayBeforeAnyStreamIsRetriedOnANewConnection() throws Exception {
    H2Backend going = backend(H2Backend.goAwayOnFirstConnection());
    startProxy(going.endpoint(), "");
    String response = exchange(get("/after-goaway", ""));
    assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").contains("h2 GET /after-goaway 0");
    assertThat(going.connections.get()).isEqualTo(2);
  }

  @Test
  void aRefusedStreamIsRetriedUnlessItsBodyWasSent() throws Exception {
    H2Backend refusing = backend(H2Backend.refusingFirstStream());
    startProxy(refusing.endpoint(), "limits: { requestBufferBytes: 0 }");
    // A POST without a body: never processed, so sent again whatever its method.
    String retried =
        exchange(
            "POST /r HTTP/1.1\r\nHost: app.test\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    assertThat(retried).startsWith("HTTP/1.1 200 OK\r\n").contains("h2 POST /r 0");
    assertThat(refusing.streams.get()).isEqualTo(2);
  }

  @Test
  void aRefusedStreamWhoseBodyWasSentIsA502() throws Exception {
    H2Backend refusing = backend(H2Backend.refusingFirstStream());
    startProxy(refusing.endpoint(), "");
    String failed =
        exchange(
            "POST /r HTTP/1.1\r\nHost: app.test\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    assertThat(failed).startsWith("HTTP/1.1 502 ");
    assertThat(refusing.streams.get()).isEqualTo(1);
  }

  @Test
  void anUnreachableH2cBackendIsConnectFailed() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    startProxy("127.0.0.1:" + port, "");
    String response = exchange(get("/x", ""));
    assertThat(response).startsWith("HTTP/1.1 502 ");
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).failure()).isEqualTo("connect_failed");
  }

  @Test
  void anH2BackendWhoseTlsDoesNotSelectH2IsATlsHandshakeFailure(@TempDir Path dir)
      throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    Path[] leaf = certs.leaf("backend", "http1 only", null);
    // A TLS server without ALPN: it can only speak HTTP/1.1.
    StubServer http1 =
        StubServer.startTls(
            SslContextBuilder.forServer(leaf[0].toFile(), leaf[1].toFile()).build(),
            (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "http1"));
    open.add(http1);
    startProxyWith(
        "{ endpoints: [\""
            + http1.endpoint()
            + "\"], protocol: h2, tls: { caFile: \""
            + certs.ca()
            + "\" } }",
        "");
    String response = exchange(get("/x", ""));
    assertThat(response).startsWith("HTTP/1.1 502 ");
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).failure()).isEqualTo("tls_handshake_failed");
    assertThat(http1.received()).isEmpty();
  }

  @Test
  void aSilentH2cBackendIsAResponseTimeout() throws Exception {
    H2Backend silent = backend(H2Backend.held(100));
    startProxy(silent.endpoint(), "timeouts: { response: 500ms }");
    String response = exchange(get("/slow", ""));
    assertThat(response).startsWith("HTTP/1.1 504 ");
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).failure()).isEqualTo("response_timeout");
  }
}
