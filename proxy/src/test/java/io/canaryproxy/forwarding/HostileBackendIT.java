package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A backend that breaks HTTP in its first answer (bytes past its framing, an unrequested switch of
 * protocols, ambiguous lengths, an invalid status line) must not reach the next user: the client
 * gets the legitimately framed response or a prompt 502 {@code bad_response}, the hostile
 * connection is closed, and the next client on the same pool (one event loop, one endpoint) gets
 * its own answer.
 */
class HostileBackendIT {
  /** A complete response a hostile backend hides behind its legitimate one. */
  private static final String EVIL =
      "HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nContent-Length: 0\r\n\r\n";

  private RawBackend backend;
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

  /** The first request on the first connection gets {@code hostile}; every other its target. */
  private void start(String hostile) throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) ->
                conn == 0 && index == 0 ? Reply.of(hostile) : Reply.ok(request.target()));
    // A response timeout far beyond the client's 10 s read timeout: a 502 must not wait for it.
    proxy =
        new RunningProxy(
            YamlConfigs.oneBackend(backend.endpoint(), 4, "timeouts:\n  response: 20s"));
  }

  static Stream<Arguments> pastFraming() {
    return Stream.of(
        Arguments.of(
            "S1 204 followed by a response",
            "GET",
            "HTTP/1.1 204 No Content\r\n\r\n" + EVIL,
            204,
            ""),
        Arguments.of(
            "S1 204 with a Content-Length body",
            "GET",
            "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
            204,
            ""),
        Arguments.of(
            "S1 HEAD answered with a body",
            "HEAD",
            "HTTP/1.1 200 OK\r\nContent-Length: " + EVIL.length() + "\r\n\r\n" + EVIL,
            200,
            ""),
        Arguments.of(
            "S1 304 followed by a response",
            "GET",
            "HTTP/1.1 304 Not Modified\r\n\r\n" + EVIL,
            304,
            ""),
        Arguments.of(
            "S1 more bytes than Content-Length",
            "GET",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + EVIL,
            200,
            "ok"),
        Arguments.of(
            "S1 a partial line past Content-Length",
            "GET",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 30",
            200,
            "ok"),
        Arguments.of(
            "S1 bytes past the last chunk",
            "GET",
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + EVIL,
            200,
            "ok"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pastFraming")
  void bytesPastTheFramingReachNoOtherUser(
      String name, String method, String hostile, int status, String body) throws Exception {
    start(hostile);
    try (RawHttp attacker = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          attacker
              .send(method + " /attacker HTTP/1.1\r\nHost: x\r\n\r\n")
              .read(method.equals("HEAD"));
      assertThat(r.status()).isEqualTo(status);
      assertThat(r.bodyText()).isEqualTo(body);
    }
    assertHostileConnectionClosedAndVictimServed();
  }

  static Stream<Arguments> badResponses() {
    return Stream.of(
        Arguments.of(
            "S2 unrequested 101",
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"),
        Arguments.of(
            "S4 two Content-Length fields",
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok"),
        Arguments.of(
            "S4 HTTP/1.0 two Content-Length fields",
            "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\nok"),
        Arguments.of("S4 Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 7\r\n\r\nok"),
        Arguments.of("S5 two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok"),
        Arguments.of("S5 four-digit status", "HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\nok"),
        Arguments.of("S5 status 600", "HTTP/1.1 600 OK\r\nContent-Length: 2\r\n\r\nok"),
        Arguments.of("S5 HTTP/0.9-style answer", "hello\r\n"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badResponses")
  void anInvalidResponseIsAPrompt502(String name, String hostile) throws Exception {
    start(hostile);
    try (RawHttp attacker = new RawHttp(proxy.port())) {
      // The client's read timeout (10 s) is half the response timeout (20 s): a reply that came
      // from the timeout would fail here with SocketTimeoutException.
      RawHttp.Response r = attacker.send("GET /attacker HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(r.status()).as("status (%s)", r.bodyText()).isEqualTo(502);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("bad_response");
    }
    assertHostileConnectionClosedAndVictimServed();
  }

  @Test
  void s3EarlyHintsAreForwardedToAnHttp11Client() throws Exception {
    start(
        "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"
            + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send("GET /attacker HTTP/1.1\r\nHost: x\r\n\r\n");
      RawHttp.Response hints = client.read();
      assertThat(hints.status()).isEqualTo(103);
      assertThat(hints.header("link")).isEqualTo("</app.css>; rel=preload");
      RawHttp.Response last = client.read();
      assertThat(last.status()).isEqualTo(200);
      assertThat(last.bodyText()).isEqualTo("ok");
    }
    assertVictimServed();
  }

  @Test
  void s3ABackend100ContinueIsNotForwarded() throws Exception {
    start("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response r = client.send("GET /attacker HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("ok");
    }
    assertVictimServed();
  }

  private void assertHostileConnectionClosedAndVictimServed() throws IOException {
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(backend.conns().get(0).closed())
                    .as("hostile connection closed")
                    .isTrue());
    assertVictimServed();
  }

  /** The next user, on a new client connection of the same pool, gets its own answer. */
  private void assertVictimServed() throws IOException {
    String target = "/victim-" + UUID.randomUUID();
    try (RawHttp victim = new RawHttp(proxy.port())) {
      RawHttp.Response r = victim.send("GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
      assertThat(r.status() + " " + r.bodyText()).isEqualTo("200 " + target);
      assertThat(r.header("location")).isNull();
    }
  }
}
