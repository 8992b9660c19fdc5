package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.YamlConfigs;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 requests whose framing says one thing and whose bytes another, on raw frames: every byte
 * stream the HTTP/1.1 backend receives must parse strictly into the requests the clients sent as
 * requests, never one smuggled in a body (the h2-to-h1 desync class), and the proxy goes on serving
 * (the refused stream may end its connection: a fresh one asks next).
 */
class Http2FramingIT {
  private static final String SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n";

  private RawBackend backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = RawBackend.echoingTargets();
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, ""));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Waits for the proxy's answer on {@code stream} (a response or a reset), then sends a plain GET
   * on a fresh connection and waits until the backend received it.
   */
  private void thenServeAnother(RawH2Client c, int stream) throws Exception {
    RawH2Client.Frame answer;
    while ((answer = c.read()) != null
        && !(answer.stream() == stream && (answer.type() == HEADERS || answer.type() == 0x3))
        && answer.type() != RawH2Client.GOAWAY) {
      // other frames: SETTINGS, its ack, WINDOW_UPDATE
    }
    try (RawH2Client next = new RawH2Client(proxy.port())) {
      next.frame(HEADERS, END_HEADERS | END_STREAM, 1, RawH2Client.requestBlock("GET", "/after"));
      next.flush();
      assertThat(next.await(HEADERS, 1)).as("response to /after").isNotNull();
    }
    await().untilAsserted(() -> assertThat(targetsReceived()).contains("/after"));
  }

  private List<String> targetsReceived() {
    List<String> targets = new ArrayList<>();
    for (RawBackend.Conn conn : backend.conns()) {
      StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(conn.bytes());
      assertThat(prefix.error()).as("backend stream: %s", conn.text()).isNull();
      assertThat(prefix.consumed())
          .as("bytes left unparsed: %s", conn.text())
          .isEqualTo(conn.bytes().length);
      for (StrictRequestParser.Request r : prefix.requests()) {
        targets.add(r.target());
      }
    }
    return targets;
  }

  @Test
  void contentLengthOnAHeadersFrameThatEndsTheStreamIsNotForwardedAsABody() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(
          HEADERS,
          END_HEADERS | END_STREAM,
          1,
          RawH2Client.requestBlock("POST", "/declares-5", "content-length", "5"));
      c.flush();
      thenServeAnother(c, 1);
    }
    assertThat(targetsReceived()).doesNotContain("/smuggled");
  }

  @Test
  void moreDataThanTheContentLengthNeverReachesTheBackendAsARequest() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(
          HEADERS,
          END_HEADERS,
          1,
          RawH2Client.requestBlock("POST", "/declares-3", "content-length", "3"));
      c.frame(DATA, END_STREAM, 1, ascii("abc" + SMUGGLED));
      c.flush();
      thenServeAnother(c, 1);
    }
    assertThat(targetsReceived()).doesNotContain("/smuggled");
  }

  @Test
  void aZeroContentLengthWithDataNeverReachesTheBackendAsARequest() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(
          HEADERS,
          END_HEADERS,
          1,
          RawH2Client.requestBlock("POST", "/declares-0", "content-length", "0"));
      c.frame(DATA, END_STREAM, 1, ascii(SMUGGLED));
      c.flush();
      thenServeAnother(c, 1);
    }
    assertThat(targetsReceived()).doesNotContain("/smuggled");
  }

  @Test
  void aTransferEncodingFieldCannotFrameTheBodyForTheBackend() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(
          HEADERS,
          END_HEADERS,
          1,
          RawH2Client.requestBlock("POST", "/chunked", "transfer-encoding", "chunked"));
      c.frame(DATA, END_STREAM, 1, ascii("0\r\n\r\n" + SMUGGLED));
      c.flush();
      thenServeAnother(c, 1);
    }
    assertThat(targetsReceived()).doesNotContain("/smuggled");
  }
}
