package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile backend responses on real sockets, through the in-place response decoder: what the client
 * receives is asserted as raw bytes (the whole connection, which the client asks to close), and the
 * next user, on the same pool, gets its own answer and never the bytes the hostile backend
 * appended.
 */
class HostileResponseBytesIT {
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

  static Stream<Arguments> hostile() {
    String badGateway =
        "HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain; charset=utf-8\r\n"
            + "content-length: 39\r\nx-canary-proxy-error: bad_response\r\n"
            + "connection: close\r\n\r\n"
            + "502 Bad Gateway: upstream bad_response\n";
    return Stream.of(
        Arguments.of(
            "Content-Length beside Transfer-Encoding",
            Reply.of(
                "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\n"
                    + EVIL),
            badGateway,
            false),
        Arguments.of(
            "two Content-Length fields",
            Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok!"),
            badGateway,
            false),
        Arguments.of(
            "a body longer than its Content-Length, the next response appended",
            Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\n\r\nok" + EVIL),
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: 1\r\nconnection: close\r\n\r\nok",
            false),
        Arguments.of(
            "an interim 103 then the final response",
            Reply.of(
                "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                    + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nconnection: close\r\n\r\nok",
            true),
        Arguments.of(
            "a 204 with a body",
            Reply.of("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"),
            "HTTP/1.1 204 No Content\r\nX-A: 1\r\nconnection: close\r\n\r\n",
            false),
        Arguments.of(
            "a chunked body with bytes past its last chunk",
            Reply.of(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n" + EVIL),
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nconnection: close\r\n\r\n"
                + "2\r\nok\r\n0\r\n\r\n",
            false),
        Arguments.of(
            "a close-delimited body that looks like a second response",
            Reply.of("HTTP/1.0 200 OK\r\nX-A: 1\r\n\r\nok" + EVIL).thenClose(),
            // chunk sizes follow the reads: the body is compared de-chunked (see received())
            "HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                + "ok"
                + EVIL,
            false));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("hostile")
  void theClientGetsExactlyTheFramedBytesAndTheNextUserItsOwnAnswer(
      String name, Reply reply, String expected, boolean reusable) throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) -> conn == 0 && index == 0 ? reply : Reply.ok(request.target()));
    proxy =
        new RunningProxy(
            YamlConfigs.oneBackend(backend.endpoint(), 4, "timeouts:\n  response: 20s"));
    try (RawHttp attacker = new RawHttp(proxy.port())) {
      attacker.send("GET /attacker HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(received(attacker)).isEqualTo(expected);
    }
    if (!reusable) {
      await()
          .atMost(Duration.ofSeconds(5))
          .untilAsserted(
              () ->
                  assertThat(backend.conns().get(0).closed())
                      .as("the hostile connection is not reused")
                      .isTrue());
    }
    String target = "/victim-" + UUID.randomUUID();
    try (RawHttp victim = new RawHttp(proxy.port())) {
      victim.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      String received = new String(victim.input().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(received)
          .isEqualTo(
              "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
                  + target.length()
                  + "\r\nconnection: close\r\n\r\n"
                  + target);
    }
    if (!reusable) {
      assertThat(backend.conns()).hasSize(2);
      assertThat(backend.conns().get(1).requests()).hasSize(1);
      assertThat(backend.conns().get(1).requests().get(0).target()).isEqualTo(target);
    }
  }

  /**
   * Every byte until the proxy closes; a chunked body is de-chunked (its framing checked: sizes,
   * CRLFs, the last chunk, nothing after it), as its chunk sizes follow the reads.
   */
  private static String received(RawHttp client) throws IOException {
    String all = new String(client.input().readAllBytes(), StandardCharsets.ISO_8859_1);
    int headEnd = all.indexOf("\r\n\r\n") + 4;
    if (headEnd < 4 || !all.substring(0, headEnd).contains("transfer-encoding: chunked")) {
      return all;
    }
    StringBuilder body = new StringBuilder();
    int i = headEnd;
    while (true) {
      int lineEnd = all.indexOf("\r\n", i);
      assertThat(lineEnd).as("chunk size line in %s", all).isGreaterThan(i);
      int size = Integer.parseInt(all.substring(i, lineEnd), 16);
      i = lineEnd + 2;
      if (size == 0) {
        assertThat(all.substring(i)).as("after the last chunk").isEqualTo("\r\n");
        return all.substring(0, headEnd) + body;
      }
      body.append(all, i, i + size);
      assertThat(all.substring(i + size, i + size + 2)).isEqualTo("\r\n");
      i += size + 2;
    }
  }
}
