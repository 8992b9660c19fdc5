package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The HTTP/1.1 fast paths that handle a stranger's bytes, attacked over real sockets (one event
 * loop, a raw backend): whole responses written from the head's bytes ({@link
 * ProxyResponseEncoder#writeWhole}) into the loop's reused buffer ({@link LoopBuffer}), request
 * heads parsed on the loop's heap copy ({@link HeadCopy}). What each client receives is asserted as
 * raw bytes: its own responses, in the order of its requests, and no byte of another exchange.
 */
class WholeResponseIT {
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

  private void start(RawBackend.Script script) throws Exception {
    backend = new RawBackend(script);
    // A response timeout beyond the client's 10 s read timeout: no answer may come from it.
    proxy =
        new RunningProxy(
            YamlConfigs.oneBackend(backend.endpoint(), 4, "timeouts:\n  response: 20s"));
  }

  /** {@code n} body bytes that name their request: a response given to another request shows. */
  static String body(String target, int n) {
    StringBuilder sb = new StringBuilder(n + target.length() + 1);
    while (sb.length() < n) {
      sb.append(target).append('|');
    }
    return sb.substring(0, n);
  }

  /** A backend's 200 to {@code target} with an {@code n}-byte body, as the client gets it too. */
  static String ok(String target, int n) {
    return ok(target, n, false);
  }

  private static String ok(String target, int n, boolean close) {
    return "HTTP/1.1 200 OK\r\nContent-Length: "
        + n
        + "\r\nX-T: "
        + target
        + "\r\n"
        + (close ? "connection: close\r\n" : "")
        + "\r\n"
        + body(target, n);
  }

  static Stream<Arguments> pastContentLength() {
    List<Arguments> all = new ArrayList<>();
    // Bodies copied into the head's buffer (up to 1 KiB) and written after it.
    for (int n : new int[] {0, 2, 1024, 1025, 3000}) {
      all.add(Arguments.of(n, "a whole response", EVIL));
      all.add(Arguments.of(n, "a partial status line", "HTTP/1.1 30"));
      all.add(
          Arguments.of(
              n,
              "two responses",
              EVIL + "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-T: /second\r\n\r\nevil"));
    }
    return all.stream();
  }

  /**
   * A backend writes more than its Content-Length in the same write as the response: the client
   * gets exactly the declared body, and its next request, pipelined behind the first (so it is
   * taken in the very call that ends the first exchange), gets its own answer from a new backend
   * connection; the hostile one is closed, never reused.
   */
  @ParameterizedTest(name = "{0}-byte body, then {1}")
  @MethodSource("pastContentLength")
  void bytesPastContentLengthReachNeitherThisNorTheNextExchange(int n, String what, String extra)
      throws Exception {
    start(
        (conn, index, request) ->
            conn == 0 && index == 0
                ? Reply.of(ok(request.target(), n) + extra)
                : Reply.of(ok(request.target(), 5)));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(
          "GET /attacker HTTP/1.1\r\nHost: x\r\n\r\n"
              + "GET /second HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(text(client.input().readAllBytes()))
          .isEqualTo(ok("/attacker", n) + ok("/second", 5, true));
    }
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> assertThat(backend.conns().get(0).closed()).as("hostile connection").isTrue());
    assertThat(backend.conns().get(0).requests())
        .extracting(Request::target)
        .containsExactly("/attacker");
    assertThat(backend.requests())
        .extracting(Request::target)
        .containsExactly("/attacker", "/second");
    assertNextUserServed();
  }

  /**
   * A backend sends fewer bytes than its Content-Length, then closes: the client sees the head and
   * those bytes and then its connection closed (a short body it can tell from a complete one), no
   * answer to its pipelined second request from anywhere, and the next user gets its own.
   */
  @Test
  void aBodyCutShortByTheBackendEndsTheClientConnection() throws Exception {
    start(
        (conn, index, request) ->
            conn == 0 && index == 0
                ? Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello").thenClose()
                : Reply.of(ok(request.target(), 5)));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(
          "GET /attacker HTTP/1.1\r\nHost: x\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(text(client.input().readAllBytes()))
          .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello");
    }
    assertNextUserServed();
    assertThat(backend.requests()).extracting(Request::target).doesNotContain("/second");
  }

  /**
   * Forty-six pipelined requests on one connection, answered with every kind of response the client
   * side writes (whole responses of 0 to 3,000 bytes, answers to HEAD, an interim 103 and its final
   * response in one write, 204, 304) and four hostile ones (a body to a HEAD, to a 204, to a 304, a
   * response past its Content-Length), each followed by a new backend connection: the client gets
   * exactly its answers, in order, each with its own request's bytes.
   */
  @Test
  void pipelinedRequestsGetTheirOwnAnswersInOrder() throws Exception {
    int[] sizes = {0, 1, 1024, 1025, 3000};
    start(
        (conn, index, request) -> {
          String t = request.target();
          String kind = t.substring(1, t.indexOf('-'));
          return Reply.of(
              switch (kind) {
                case "len" -> ok(t, Integer.parseInt(t.substring(t.lastIndexOf('-') + 1)));
                case "head" -> "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-T: " + t + "\r\n\r\n";
                case "hint" ->
                    "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + ok(t, 5);
                case "nc" -> "HTTP/1.1 204 No Content\r\nX-T: " + t + "\r\n\r\n";
                case "nm" -> "HTTP/1.1 304 Not Modified\r\nX-T: " + t + "\r\n\r\n";
                case "headbody" ->
                    "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-T: " + t + "\r\n\r\nEVIL";
                case "ncbody" ->
                    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\nX-T: " + t + "\r\n\r\nhello";
                case "nmbody" -> "HTTP/1.1 304 Not Modified\r\nX-T: " + t + "\r\n\r\nhello";
                default -> ok(t, 2) + EVIL; // "past"
              });
        });
    StringBuilder requests = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    List<String> targets = new ArrayList<>();
    int count = 46;
    for (int i = 0; i < count; i++) {
      boolean last = i == count - 1;
      String t;
      String method = "GET";
      String answer;
      switch (i % 9) {
        case 0 -> {
          int n = sizes[(i / 9) % sizes.length];
          t = "/len-" + i + "-" + n;
          answer = ok(t, n, last);
        }
        case 1 -> {
          method = "HEAD";
          t = "/head-" + i;
          answer = "HTTP/1.1 200 OK\r\nContent-Length: 7\r\nX-T: " + t + "\r\n\r\n";
        }
        case 2 -> {
          t = "/hint-" + i;
          answer = "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n" + ok(t, 5);
        }
        case 3 -> {
          t = "/nc-" + i;
          answer = "HTTP/1.1 204 No Content\r\nX-T: " + t + "\r\n\r\n";
        }
        case 4 -> {
          t = "/nm-" + i;
          answer = "HTTP/1.1 304 Not Modified\r\nX-T: " + t + "\r\n\r\n";
        }
        case 5 -> {
          method = "HEAD";
          t = "/headbody-" + i;
          answer = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-T: " + t + "\r\n\r\n";
        }
        case 6 -> {
          t = "/ncbody-" + i;
          answer = "HTTP/1.1 204 No Content\r\nX-T: " + t + "\r\n\r\n";
        }
        case 7 -> {
          t = "/past-" + i;
          answer = ok(t, 2);
        }
        default -> {
          t = "/nmbody-" + i;
          answer = "HTTP/1.1 304 Not Modified\r\nX-T: " + t + "\r\n\r\n";
        }
      }
      targets.add(t);
      requests
          .append(method)
          .append(' ')
          .append(t)
          .append(" HTTP/1.1\r\nHost: x\r\n")
          .append(last ? "Connection: close\r\n" : "")
          .append("\r\n");
      expected.append(answer);
    }
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send(requests.toString());
      assertSameBytes(client.input().readAllBytes(), expected.toString());
    }
    assertThat(backend.requests()).extracting(Request::target).isEqualTo(targets);
    // Each hostile answer (four in every nine) cost its connection, and nothing else did.
    assertThat(backend.connections()).isEqualTo(1 + 4 * (count / 9));
  }

  /**
   * The loop's reused response buffer ({@link LoopBuffer}) under a slow client: a client that asks
   * for about 4.7 MB of small responses and does not read (a 4 KiB receive buffer) leaves the
   * responses its socket did not take in the proxy, each in a buffer the loop handed out; a fast
   * client on the same (only) event loop then gets 300 responses, written while those are unsent.
   * Each of the fast client's responses is its own, and when the slow client finally reads it gets
   * exactly its responses, byte for byte: none was overwritten by a later one.
   */
  @Test
  void aSlowClientsUnsentResponsesKeepTheirBytesWhileAFastClientIsAnswered() throws Exception {
    int bodyBytes = 1000; // copied into the loop's buffer with the head
    start((conn, index, request) -> Reply.of(ok(request.target(), bodyBytes)));
    // More than the kernel takes: with Linux's default tcp_wmem maximum (4 MiB) the proxy's socket
    // took about 2.7 MB here before the proxy stopped; 4,500 responses are about 4.7 MB.
    int n = 4500;
    StringBuilder requests = new StringBuilder();
    StringBuilder expected = new StringBuilder();
    for (int i = 0; i < n; i++) {
      boolean last = i == n - 1;
      String t = "/slow/" + i;
      requests
          .append("GET ")
          .append(t)
          .append(" HTTP/1.1\r\nHost: x\r\n")
          .append(last ? "Connection: close\r\n" : "")
          .append("\r\n");
      expected.append(ok(t, bodyBytes, last));
    }
    try (Socket slow = new Socket()) {
      slow.setReceiveBufferSize(4096);
      slow.setSoTimeout(60_000);
      slow.connect(new InetSocketAddress("127.0.0.1", proxy.port()));
      byte[] raw = requests.toString().getBytes(StandardCharsets.ISO_8859_1);
      OutputStream out = slow.getOutputStream();
      Thread writer =
          new Thread(
              () -> {
                try {
                  out.write(raw); // blocks while the proxy does not read: it stops with the client
                  out.flush();
                } catch (IOException e) {
                  // the test fails on what the client receives
                }
              });
      writer.start();
      // The proxy stopped answering the slow client: the backend's count of its requests holds.
      AtomicInteger seen = new AtomicInteger(-1);
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(300))
          .until(
              () -> {
                int now = requestsFor("/slow/");
                return now > 0 && now == seen.getAndSet(now);
              });
      assertThat(seen.get())
          .as("slow client's answers sent before the proxy stopped (the rest wait for it)")
          .isLessThan(n);

      try (RawHttp fast = new RawHttp(proxy.port())) {
        for (int j = 0; j < 300; j++) {
          String t = "/fast/" + j;
          RawHttp.Response r = fast.send("GET " + t + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
          assertThat(r.status() + " " + r.header("x-t") + " " + r.bodyText())
              .isEqualTo("200 " + t + " " + body(t, bodyBytes));
        }
      }

      assertSameBytes(slow.getInputStream().readAllBytes(), expected.toString());
      writer.join(10_000);
    }
  }

  /** The backend's requests so far whose target starts with {@code prefix}, on all connections. */
  private int requestsFor(String prefix) {
    int count = 0;
    for (RawBackend.Conn c : backend.conns()) {
      for (Request r : StrictRequestParser.parsePrefix(c.bytes()).requests()) {
        if (r.target().startsWith(prefix)) {
          count++;
        }
      }
    }
    return count;
  }

  static Stream<Arguments> headsAroundTheCopySize() {
    List<Arguments> all = new ArrayList<>();
    for (int total = HeadCopy.MAX_BYTES - 1; total <= HeadCopy.MAX_BYTES + 1; total++) {
      all.add(Arguments.of(total, "valid", "X-B: v\r\n", 200));
      all.add(Arguments.of(total, "obs-fold", " folded\r\n", 400));
      all.add(Arguments.of(total, "bare LF", "X-B: v\n", 400));
      all.add(Arguments.of(total, "NUL in a value", "X-B: v\u0000w\r\n", 400));
    }
    return all.stream();
  }

  /**
   * A request head of about the heap copy's size, written in three pieces cut inside the CRLF
   * nearest the copy's size and inside the last field's name: a valid one reaches the backend as
   * sent (with the proxy's X-Forwarded-For), a refused one gets its status and reaches no backend.
   */
  @ParameterizedTest(name = "{1}, head of {0} bytes")
  @MethodSource("headsAroundTheCopySize")
  void headsAroundTheCopySizeInPiecesOverASocket(int total, String what, String line, int status)
      throws Exception {
    start((conn, index, request) -> Reply.of(ok(request.target(), 5)));
    String start = "GET /t HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    String end = "\r\n" + line + "\r\n";
    String pad = "p".repeat(total - start.length() - end.length());
    byte[] head = (start + pad + end).getBytes(StandardCharsets.ISO_8859_1);
    int crlf = (start + pad).length(); // the CR ending X-Pad, a few bytes from the copy's size
    int[] cuts = {crlf + 1, crlf + 4};
    try (RawHttp client = new RawHttp(proxy.port())) {
      OutputStream out = client.output();
      int from = 0;
      for (int cut : cuts) {
        out.write(head, from, cut - from);
        out.flush();
        from = cut;
      }
      out.write(head, from, head.length - from);
      out.flush();
      RawHttp.Response r = client.read();
      assertThat(r.status()).isEqualTo(status);
    }
    if (status != 200) {
      assertNextUserServed();
      assertThat(backend.requests()).hasSize(1); // the next user's: none of the refused one
      return;
    }
    List<Request> got = backend.requests();
    assertThat(got).hasSize(1);
    assertThat(got.get(0).target()).isEqualTo("/t");
    assertThat(got.get(0).header("x-pad")).isEqualTo(pad);
    assertThat(got.get(0).header("x-b")).isEqualTo("v");
    assertThat(backend.conns().get(0).text())
        .isEqualTo(
            start
                + pad
                + "\r\n"
                + line
                + "x-forwarded-for: 127.0.0.1\r\nx-forwarded-proto: http\r\nx-forwarded-host: x"
                + "\r\n\r\n");
  }

  /** The next user, on a new client connection of the same pool, gets its own answer. */
  private void assertNextUserServed() throws IOException {
    String target = "/next-" + UUID.randomUUID();
    try (RawHttp next = new RawHttp(proxy.port())) {
      next.send("GET " + target + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(text(next.input().readAllBytes())).isEqualTo(ok(target, 5, true));
    }
  }

  private static String text(byte[] bytes) {
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /** Equal bytes; a difference is shown around where it starts (the streams are megabytes). */
  private static void assertSameBytes(byte[] got, String expected) {
    String actual = text(got);
    int i = 0;
    int common = Math.min(actual.length(), expected.length());
    while (i < common && actual.charAt(i) == expected.charAt(i)) {
      i++;
    }
    if (i == actual.length() && i == expected.length()) {
      return;
    }
    int from = Math.max(0, i - 200);
    assertThat(actual.substring(from, Math.min(actual.length(), i + 200)))
        .as(
            "received %s bytes, expected %s; first difference at byte %s",
            actual.length(), expected.length(), i)
        .isEqualTo(expected.substring(from, Math.min(expected.length(), i + 200)));
  }
}
