package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.CONTINUATION;
import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.RST_STREAM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile HTTP/2 backends ({@code protocol: h2c}) of raw frames on real sockets, and what the
 * proxy's clients receive, HTTP/1.1 (raw bytes) and HTTP/2 (raw frames): a GOAWAY with streams in
 * flight, a stream reset before or during its response, a body that does not match its
 * content-length, a head past the limits or with forbidden fields, a CONTINUATION flood, and a
 * backend that never sends its SETTINGS. A response that went wrong is never delivered as complete,
 * a failure before the head is a typed 502/504, and the connection that misbehaved is not used
 * again where the fault is the connection's.
 */
class HostileH2BackendIT {
  private static final long NO_ERROR = 0x0;
  private static final long INTERNAL_ERROR = 0x2;

  private final H2BackendHarness h = new H2BackendHarness();

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  /** What an HTTP/2 client got on stream 1 for a GET: every frame on it, up to its end. */
  private List<RawH2Client.Frame> h2Get(String path) throws IOException {
    List<RawH2Client.Frame> frames = new ArrayList<>();
    try (RawH2Client c = new RawH2Client(h.proxy().port())) {
      c.frame(HEADERS, END_HEADERS | END_STREAM, 1, RawH2Client.requestBlock("GET", path));
      c.flush();
      RawH2Client.Frame f;
      while ((f = c.read()) != null) {
        if (f.stream() != 1) {
          continue;
        }
        frames.add(f);
        if (f.type() == RST_STREAM || (f.flags() & END_STREAM) != 0) {
          break;
        }
      }
    }
    return frames;
  }

  /**
   * An HTTP/1.1 keep-alive GET whose response arrives piece by piece: a permit on {@code step} once
   * the head is in, and one per {@code pieces} (byte counts of body) received; then everything up
   * to the close.
   */
  private String getStepwise(String path, Semaphore step, int... pieces) throws IOException {
    try (Socket s = new Socket("127.0.0.1", h.proxy().port())) {
      s.setSoTimeout(15_000);
      s.getOutputStream()
          .write(
              ("GET " + path + " HTTP/1.1\r\nHost: app.test\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      InputStream in = s.getInputStream();
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      while (!got.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
        int b = in.read();
        assertThat(b).as("the head before the end").isNotNegative();
        got.write(b);
      }
      step.release();
      for (int piece : pieces) {
        got.writeBytes(in.readNBytes(piece));
        step.release();
      }
      got.writeBytes(in.readAllBytes());
      return got.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** The same for an HTTP/2 client: a permit after the HEADERS and after each DATA frame. */
  private List<RawH2Client.Frame> h2GetStepwise(String path, Semaphore step) throws IOException {
    List<RawH2Client.Frame> frames = new ArrayList<>();
    try (RawH2Client c = new RawH2Client(h.proxy().port())) {
      c.frame(HEADERS, END_HEADERS | END_STREAM, 1, RawH2Client.requestBlock("GET", path));
      c.flush();
      RawH2Client.Frame f;
      while ((f = c.read()) != null) {
        if (f.stream() != 1) {
          continue;
        }
        frames.add(f);
        if (f.type() == RST_STREAM || (f.flags() & END_STREAM) != 0) {
          break;
        }
        step.release();
      }
    }
    return frames;
  }

  private static String dataOf(List<RawH2Client.Frame> frames) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (RawH2Client.Frame f : frames) {
      if (f.type() == DATA) {
        b.writeBytes(f.payload());
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  /** The stream ended with RST_STREAM, never with END_STREAM: the client knows it is cut. */
  private static void assertCut(List<RawH2Client.Frame> frames) {
    assertThat(frames).isNotEmpty();
    assertThat(frames.get(frames.size() - 1).type()).isEqualTo(RST_STREAM);
    assertThat(frames).noneMatch(f -> (f.flags() & END_STREAM) != 0 && f.type() != RST_STREAM);
  }

  private void assertFailures(String... types) {
    await().untilAsserted(() -> assertThat(h.proxy().upstreamFailures()).containsExactly(types));
  }

  // ---- GOAWAY ----

  @Test
  void aGoAwayWithStreamsInFlightCompletesThoseBelowItAndRetriesTheOthersOnANewConnection()
      throws Exception {
    RawH2Backend b =
        h.backend(
            c -> {
              c.settings();
              RawH2Backend.Request x = c.awaitRequest();
              RawH2Backend.Request y = c.awaitRequest();
              RawH2Backend.Request low = x.stream() < y.stream() ? x : y;
              // Only the lower stream will be processed; the other was never looked at.
              c.goAway(low.stream(), NO_ERROR);
              c.answer(low.stream(), "c1 " + low.path());
              c.drainUntilClosed();
            });
    h.startProxy(b, "");
    CompletableFuture<String> first = h.getAsync("/x");
    CompletableFuture<String> second = h.getAsync("/y");
    String one = first.get(30, TimeUnit.SECONDS);
    String two = second.get(30, TimeUnit.SECONDS);
    assertThat(one).startsWith("HTTP/1.1 200 OK\r\n");
    assertThat(two).startsWith("HTTP/1.1 200 OK\r\n");
    // one answered on the first connection, the one above the GOAWAY's last stream on a new one
    assertThat(List.of(one, two))
        .anyMatch(r -> r.contains("c1 /x") || r.contains("c1 /y"))
        .anyMatch(r -> r.contains("c2 /x") || r.contains("c2 /y"));
    assertThat(b.connections.get()).isEqualTo(2);
    // the proxy closes the connection that went away once its last stream ended
    assertThat(b.conn(1).closedByProxy.await(10, TimeUnit.SECONDS)).isTrue();
    // new requests go to the new connection
    assertThat(h.get("/z")).startsWith("HTTP/1.1 200 OK\r\n").contains("c2 /z");
    assertThat(b.connections.get()).isEqualTo(2);
    assertThat(h.proxy().upstreamFailures()).isEmpty();
  }

  /**
   * A backend that recycles its connections after so many requests (nginx's keepalive_requests)
   * refuses on all of them at about the same moment: a stream refused on one connection and again
   * on the next is still sent until one takes it (it was never processed, RFC 9113 §8.1.4).
   */
  @Test
  void aStreamRefusedByGoAwayOnTwoConnectionsInARowIsSentAgainUntilOneTakesIt() throws Exception {
    RawH2Backend.Script refuse =
        c -> {
          c.settings();
          c.awaitRequest();
          c.goAway(0, NO_ERROR); // no stream of this connection was processed
          c.flush();
          c.drainUntilClosed();
        };
    RawH2Backend b = h.backendWith(n -> n <= 2 ? refuse : RawH2Backend::serve);
    h.startProxy(b, "");
    assertThat(h.get("/x")).startsWith("HTTP/1.1 200 OK\r\n").contains("c3 /x");
    assertThat(b.connections.get()).isEqualTo(3);
    assertThat(h.proxy().upstreamFailures()).isEmpty();
  }

  // ---- RST_STREAM ----

  /**
   * A 200 and a piece of body, then (once the client got both: two permits on {@code step}) a
   * RST_STREAM; later requests are served.
   */
  private static RawH2Backend.Script resetMidResponse(Semaphore step) {
    return c -> {
      c.settings();
      RawH2Backend.Request r = c.awaitRequest();
      c.headers(r.stream(), false, ":status", "200", "content-type", "text/plain");
      c.data(r.stream(), false, "partial");
      c.flush();
      step.acquire(2);
      c.reset(r.stream(), INTERNAL_ERROR);
      c.flush();
      RawH2Backend.serve(c);
    };
  }

  @Test
  void aStreamResetMidResponseClosesAnHttp11ClientWithoutACleanEnd() throws Exception {
    Semaphore step = new Semaphore(0);
    h.startProxy(h.backend(resetMidResponse(step)), "");
    String response = getStepwise("/reset", step, "7\r\npartial\r\n".length());
    assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\n7\r\npartial\r\n");
    assertThat(response.toLowerCase()).contains("transfer-encoding: chunked\r\n");
    assertThat(response).doesNotContain("\r\n0\r\n");
    assertFailures("connection_closed");
    // the connection survives a reset stream: the next request is served on it
    assertThat(h.get("/next")).startsWith("HTTP/1.1 200 OK\r\n").contains("c1 /next");
  }

  @Test
  void aStreamResetMidResponseIsResetForAnHttp2Client() throws Exception {
    Semaphore step = new Semaphore(0);
    h.startProxy(h.backend(resetMidResponse(step)), "");
    List<RawH2Client.Frame> frames = h2GetStepwise("/reset", step);
    assertThat(frames.get(0).type()).isEqualTo(HEADERS);
    assertThat(dataOf(frames)).isEqualTo("partial");
    assertCut(frames);
    assertFailures("connection_closed");
  }

  @Test
  void aStreamResetBeforeItsHeadIsA502() throws Exception {
    h.startProxy(
        h.backend(
            c -> {
              c.settings();
              RawH2Backend.Request r = c.awaitRequest();
              c.reset(r.stream(), INTERNAL_ERROR);
              c.flush();
              RawH2Backend.serve(c);
            }),
        "");
    String response = h.get("/reset");
    assertThat(response)
        .startsWith("HTTP/1.1 502 ")
        .containsIgnoringCase("x-canary-proxy-error: connection_closed\r\n");
    assertFailures("connection_closed");
  }

  // ---- content-length ----

  /**
   * Every answer a 200 declaring {@code length}, then {@code pieces} as DATA frames, the last with
   * END_STREAM. The head and each piece wait for a permit from {@code step}, which the test gives
   * once its client received what came before: the client's view does not depend on how the frames
   * happen to be read together.
   */
  private static RawH2Backend.Script declaring(Semaphore step, int length, String... pieces) {
    return c -> {
      c.settings();
      RawH2Backend.Request r;
      while ((r = c.awaitRequest()) != null) {
        c.headers(r.stream(), false, ":status", "200", "content-length", String.valueOf(length));
        c.flush();
        for (int i = 0; i < pieces.length; i++) {
          step.acquire();
          c.data(r.stream(), i == pieces.length - 1, pieces[i]);
          c.flush();
        }
      }
    };
  }

  static Stream<Arguments> lengthMismatches() {
    return Stream.of(
        Arguments.of("longer, one frame", 5, new String[] {"hello world"}),
        Arguments.of("shorter at END_STREAM", 10, new String[] {"hello"}),
        Arguments.of("shorter, then an empty last frame", 10, new String[] {"hello", ""}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("lengthMismatches")
  void aBodyNotMatchingItsContentLengthIsNeverDeliveredAsComplete(
      String name, int length, String[] pieces) throws Exception {
    Semaphore step = new Semaphore(0);
    h.startProxy(h.backendWith(n -> declaring(step, length, pieces)), "");
    // HTTP/1.1: the head with the declared length, then the close before that many bytes
    int[] before = pieces.length > 1 ? new int[] {pieces[0].length()} : new int[0];
    String response = getStepwise("/cl", step, before);
    assertThat(response).startsWith("HTTP/1.1 200 OK\r\n");
    assertThat(response.toLowerCase()).contains("content-length: " + length + "\r\n");
    String body = response.substring(response.indexOf("\r\n\r\n") + 4);
    assertThat(body.length()).isLessThan(length);
    // HTTP/2: the stream is reset, never ended
    step.drainPermits();
    assertCut(h2GetStepwise("/cl", step));
    assertFailures("bad_response", "bad_response");
  }

  @Test
  void aBodyPastItsContentLengthInALaterFrameIsCutAfterTheDeclaredBytes() throws Exception {
    Semaphore step = new Semaphore(0);
    h.startProxy(h.backendWith(n -> declaring(step, 5, "hello", " world")), "");
    // HTTP/2: the declared five bytes, then RST_STREAM instead of an end
    List<RawH2Client.Frame> frames = h2GetStepwise("/cl", step);
    assertThat(dataOf(frames)).isEqualTo("hello");
    assertCut(frames);
    // HTTP/1.1: the declared five bytes, then the close: nothing past them
    step.drainPermits();
    String response = getStepwise("/cl", step, 5);
    assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhello");
    assertFailures("bad_response", "bad_response");
  }

  // ---- heads past the limits ----

  private static String[] manyFields(int n) {
    String[] fields = new String[2 + 2 * n];
    fields[0] = ":status";
    fields[1] = "200";
    for (int i = 0; i < n; i++) {
      fields[2 + 2 * i] = String.format("x-f%04d", i);
      fields[3 + 2 * i] = "v";
    }
    return fields;
  }

  static Stream<Arguments> oversizedHeads() {
    return Stream.of(
        // 70,000 bytes: past the 64 KiB header list the proxy takes from a backend
        Arguments.of(
            "one large field", new String[] {":status", "200", "x-big", "a".repeat(70_000)}),
        // 1,800 fields of 40 bytes each as HPACK counts them (RFC 7541 §4.1): 72,000 bytes
        Arguments.of("many small fields", manyFields(1_800)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("oversizedHeads")
  void aResponseHeadPastTheHeaderListLimitIsABadResponse(String name, String[] fields)
      throws Exception {
    h.startProxy(
        h.backend(
            c -> {
              c.settings();
              RawH2Backend.Request r = c.awaitRequest();
              writeBlock(c, r.stream(), RawH2Client.block(fields), 16_384);
              c.data(r.stream(), true, "never");
              c.flush();
              RawH2Backend.serve(c);
            }),
        "");
    assertThat(h.get("/big"))
        .startsWith("HTTP/1.1 502 ")
        .containsIgnoringCase("x-canary-proxy-error: bad_response\r\n")
        .doesNotContain("never");
    assertFailures("bad_response");
  }

  /** Writes {@code block} as HEADERS and CONTINUATION frames of at most {@code piece} bytes. */
  private static void writeBlock(RawH2Backend.Conn c, int stream, byte[] block, int piece)
      throws IOException {
    int end = Math.min(block.length, piece);
    c.frame(
        HEADERS, end == block.length ? END_HEADERS : 0, stream, Arrays.copyOfRange(block, 0, end));
    while (end < block.length) {
      int from = end;
      end = Math.min(block.length, from + piece);
      c.frame(
          CONTINUATION,
          end == block.length ? END_HEADERS : 0,
          stream,
          Arrays.copyOfRange(block, from, end));
    }
  }

  static Stream<Arguments> connectionKillers() {
    return Stream.of(
        // the proxy may close with bytes of the block unread: a reset that can overtake its GOAWAY
        Arguments.of(
            "a header list far past the limit",
            (RawH2Backend.Script) HostileH2BackendIT::hugeHead,
            false),
        Arguments.of(
            "a CONTINUATION flood",
            (RawH2Backend.Script) HostileH2BackendIT::continuationFlood,
            true));
  }

  private static void hugeHead(RawH2Backend.Conn c) throws IOException {
    c.settings();
    RawH2Backend.Request r = c.awaitRequest();
    byte[] block = RawH2Client.block(":status", "200", "x-big", "a".repeat(300_000));
    writeBlock(c, r.stream(), block, 16_384);
    c.flush();
    c.drainUntilClosed();
  }

  private static void continuationFlood(RawH2Backend.Conn c) throws IOException {
    c.settings();
    RawH2Backend.Request r = c.awaitRequest();
    byte[] block = RawH2Client.block(":status", "200");
    c.frame(HEADERS, 0, r.stream(), Arrays.copyOf(block, 2));
    for (int i = 0; i < 1_000; i++) {
      c.frame(CONTINUATION, 0, r.stream(), new byte[0]);
    }
    c.flush();
    c.drainUntilClosed();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("connectionKillers")
  void aBackendBreakingTheConnectionGetsGoAwayAndTheNextRequestANewConnection(
      String name, RawH2Backend.Script script, boolean goAwayReadable) throws Exception {
    RawH2Backend b = h.backend(script);
    h.startProxy(b, "");
    assertThat(h.get("/kill"))
        .startsWith("HTTP/1.1 502 ")
        .containsIgnoringCase("x-canary-proxy-error: bad_response\r\n");
    assertThat(b.conn(1).closedByProxy.await(10, TimeUnit.SECONDS)).isTrue();
    if (goAwayReadable) {
      assertThat(b.conn(1).goAwayError).as("GOAWAY with an error sent to the backend").isPositive();
    }
    assertThat(h.get("/next")).startsWith("HTTP/1.1 200 OK\r\n").contains("c2 /next");
    assertFailures("bad_response");
  }

  // ---- pseudo-header abuse ----

  static Stream<Arguments> invalidHeads() {
    return Stream.of(
        Arguments.of("no :status", new String[] {"content-type", "text/plain"}),
        Arguments.of(":status 101", new String[] {":status", "101"}),
        Arguments.of(":status not a number", new String[] {":status", "2x0"}),
        Arguments.of(
            "connection-specific field", new String[] {":status", "200", "connection", "close"}),
        Arguments.of(
            "transfer-encoding", new String[] {":status", "200", "transfer-encoding", "chunked"}),
        Arguments.of("a request pseudo-header", new String[] {":status", "200", ":path", "/"}),
        Arguments.of("pseudo-header after a field", new String[] {"x-a", "1", ":status", "200"}));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalidHeads")
  void aResponseHeadHttp2ForbidsIsABadResponse(String name, String[] fields) throws Exception {
    h.startProxy(
        h.backend(
            c -> {
              c.settings();
              RawH2Backend.Request r = c.awaitRequest();
              c.headers(r.stream(), false, fields);
              c.data(r.stream(), true, "never");
              c.flush();
              RawH2Backend.serve(c);
            }),
        "");
    assertThat(h.get("/bad"))
        .startsWith("HTTP/1.1 502 ")
        .containsIgnoringCase("x-canary-proxy-error: bad_response\r\n")
        .doesNotContain("never");
    assertFailures("bad_response");
    // a stream error: the connection itself goes on serving
    assertThat(h.get("/next")).startsWith("HTTP/1.1 200 OK\r\n").contains("c1 /next");
  }
}
