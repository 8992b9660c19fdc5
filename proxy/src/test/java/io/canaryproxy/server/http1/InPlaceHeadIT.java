package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.StrictRequestParser.Framing;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.canaryproxy.testing.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a backend receives from the in-place HTTP/1.1 path ({@link Http1RequestDecoder}, {@link
 * Http1Head}), over real sockets: a raw backend's byte stream is read by the independent {@link
 * StrictRequestParser} and must hold exactly the client's requests, with the proxy's edits and no
 * byte more; refused heads reach it not at all.
 */
class InPlaceHeadIT {
  private RawBackend backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = RawBackend.echoingTargets();
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
                // Loopback clients are not trusted with the override header.
                TestConfigs.routing(0, List.of(), "10.255.255.255/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
  }

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    backend.close();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "obs-fold|GET /a HTTP/1.1\\r\\nHost: x\\r\\nX-A: 1\\r\\n folded\\r\\n\\r\\n|400",
        "duplicate Content-Length|POST /a HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 3\\r\\n"
            + "Content-Length: 3\\r\\n\\r\\nabc|400",
        "Content-Length with Transfer-Encoding|POST /a HTTP/1.1\\r\\nHost: x\\r\\n"
            + "Content-Length: 3\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n|400",
        "chunked not last|POST /a HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked, gzip\\r\\n"
            + "\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n|400",
        "a coding before chunked|POST /a HTTP/1.1\\r\\nHost: x\\r\\n"
            + "Transfer-Encoding: gzip, chunked\\r\\n\\r\\n3\\r\\nabc\\r\\n0\\r\\n\\r\\n|501",
        "bad chunk size|POST /a HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n"
            + "\\r\\n3x\\r\\nabc\\r\\n0\\r\\n\\r\\n|400",
      })
  void refusedHeadsReachNoBackend(String name, String raw, int status) throws Exception {
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(unescape(raw));
      RawHttp.Response r = client.read();
      assertThat(r.status()).as(name).isEqualTo(status);
      assertThat(client.closedByPeer()).as("closed after %s", status).isTrue();
    }
    // The next user's request is the only one any backend connection ever carried.
    List<Request> got = afterSentinel();
    assertThat(got).extracting(Request::target).containsExactly("/sentinel");
  }

  @Test
  void connectionNamingForwardedForDropsTheClientsValue() throws Exception {
    Request r =
        one(
            "GET /xff HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, X-Forwarded-For\r\n"
                + "X-Forwarded-For: 6.6.6.6\r\n\r\n");
    assertThat(r.all("x-forwarded-for")).containsExactly("127.0.0.1");
    assertThat(r.all("connection")).isEmpty();
  }

  @Test
  void severalForwardedForFieldsAreOneList() throws Exception {
    Request r =
        one(
            "GET /xff2 HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\nX-Other: o\r\n"
                + "X-Forwarded-For: 2.2.2.2, 3.3.3.3\r\n\r\n");
    assertThat(r.all("x-forwarded-for")).containsExactly("1.1.1.1, 2.2.2.2, 3.3.3.3, 127.0.0.1");
  }

  @Test
  void http10ExpectIsNotForwardedNorAnswered() throws Exception {
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(
          "POST /e HTTP/1.0\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc");
      RawHttp.Response first = client.read();
      assertThat(first.status()).isEqualTo(200);
      assertThat(first.bodyText()).isEqualTo("/e");
    }
    Request r = backend.requests().get(0);
    assertThat(r.all("expect")).isEmpty();
    assertThat(r.version()).isEqualTo("HTTP/1.1");
    assertThat(r.bodyText()).isEqualTo("abc");
  }

  @Test
  void connectionCannotRemoveTheUserKeyHeader() throws Exception {
    Request r =
        one(
            "GET /key HTTP/1.1\r\nHost: x\r\nConnection: x-user-id, x-other\r\n"
                + "X-User-Id: u-42\r\nX-Other: gone\r\n\r\n");
    assertThat(r.all("x-user-id")).containsExactly("u-42");
    assertThat(r.all("x-other")).isEmpty();
    assertThat(r.all("connection")).isEmpty();
  }

  @Test
  void unchangedLinesAreForwardedAsSentAndOthersNormalised() throws Exception {
    one(
        "GET /bytes HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: Keep  Inner  Spaces\r\n"
            + "x-tight:v\r\nX-Padded: \t p \t\r\nProxy-Authorization: secret\r\nX-Last: 1\r\n\r\n");
    String text = backend.conns().get(0).text();
    assertThat(text)
        .startsWith("GET /bytes HTTP/1.1\r\nHost: x\r\nX-Mixed-CASE: Keep  Inner  Spaces\r\n")
        .contains("\r\nx-tight: v\r\nX-Padded: p\r\nX-Last: 1\r\nx-forwarded-for: 127.0.0.1\r\n")
        .doesNotContain("secret");
  }

  @Test
  void aHeadAndChunkedBodySentByteByByte() throws Exception {
    String raw =
        "POST /split?q=1 HTTP/1.1\r\nHost: x\r\nX-Trace: abc\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: t\r\n\r\n";
    try (RawHttp client = new RawHttp(proxy.port())) {
      OutputStream out = client.output();
      for (byte b : raw.getBytes(StandardCharsets.ISO_8859_1)) {
        out.write(b);
        out.flush();
      }
      assertThat(client.read().bodyText()).isEqualTo("/split?q=1");
    }
    List<Request> got = backend.requests();
    assertThat(got).hasSize(1);
    Request r = got.get(0);
    assertThat(r.method() + " " + r.target()).isEqualTo("POST /split?q=1");
    assertThat(r.header("x-trace")).isEqualTo("abc");
    assertThat(r.framing()).isEqualTo(Framing.CHUNKED);
    assertThat(r.bodyText()).isEqualTo("hello world");
    assertThat(r.trailers()).isEmpty();
  }

  @Test
  void sixtyFourPipelinedRequestsInOneWrite() throws Exception {
    StringBuilder raw = new StringBuilder();
    List<String> bodies = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      switch (i % 3) {
        case 0 -> {
          raw.append("GET /p").append(i).append(" HTTP/1.1\r\nHost: x\r\n\r\n");
          bodies.add("");
        }
        case 1 -> {
          String body = "body-" + i;
          raw.append("POST /p")
              .append(i)
              .append(" HTTP/1.1\r\nHost: x\r\nContent-Length: ")
              .append(body.length())
              .append("\r\n\r\n")
              .append(body);
          bodies.add(body);
        }
        default -> {
          String body = "chunk-" + i;
          raw.append("PUT /p")
              .append(i)
              .append(" HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
              .append(Integer.toHexString(body.length()))
              .append("\r\n")
              .append(body)
              .append("\r\n0\r\n\r\n");
          bodies.add(body);
        }
      }
    }
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(raw.toString());
      for (int i = 0; i < 64; i++) {
        assertThat(client.read().bodyText()).as("answer %s", i).isEqualTo("/p" + i);
      }
    }
    List<Request> got = new ArrayList<>();
    for (RawBackend.Conn conn : backend.conns()) {
      got.addAll(conn.requests());
    }
    assertThat(got).hasSize(64);
    for (int i = 0; i < 64; i++) {
      Request r = got.get(i);
      assertThat(r.target()).isEqualTo("/p" + i);
      assertThat(r.bodyText()).as("body %s", i).isEqualTo(bodies.get(i));
      assertThat(r.all("x-forwarded-for")).containsExactly("127.0.0.1");
    }
  }

  /** Sends {@code raw}, expects a 200, and returns the one request the backend received. */
  private Request one(String raw) throws IOException {
    try (RawHttp client = new RawHttp(proxy.port())) {
      assertThat(client.send(raw).read().status()).isEqualTo(200);
    }
    List<Request> got = backend.requests();
    assertThat(got).hasSize(1);
    return got.get(0);
  }

  /** Sends a sentinel request on a new connection, then returns every request backends received. */
  private List<Request> afterSentinel() throws IOException {
    try (RawHttp next = new RawHttp(proxy.port())) {
      assertThat(next.send("GET /sentinel HTTP/1.1\r\nHost: x\r\n\r\n").read().bodyText())
          .isEqualTo("/sentinel");
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                backend.conns().stream()
                    .allMatch(
                        c ->
                            c.closed()
                                || StrictRequestParser.parsePrefix(c.bytes()).requests().size()
                                    > 0));
    List<Request> all = new ArrayList<>();
    for (RawBackend.Conn conn : backend.conns()) {
      all.addAll(conn.requests());
    }
    return all;
  }

  private static String unescape(String s) {
    return s.replace("\\r", "\r").replace("\\n", "\n");
  }
}
