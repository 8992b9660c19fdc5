package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.CONTINUATION;
import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.GOAWAY;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.PING;
import static io.canaryproxy.server.http2.RawH2Client.RST_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.SETTINGS;
import static io.canaryproxy.server.http2.RawH2Client.WINDOW_UPDATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.Http2LimitsConfig;
import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Each HTTP/2 limit abused by raw frames on a real socket: the abusing connection gets GOAWAY (or,
 * for one stream too many, that stream is refused), the abuse is counted by type, and a connection
 * opened before the abuse is still served afterwards.
 */
class Http2AbuseIT {
  private static final long ENHANCE_YOUR_CALM = 0xb;
  private static final long FLOW_CONTROL_ERROR = 0x3;
  private static final long REFUSED_STREAM = 0x7;

  /**
   * PING and SETTINGS frames a flooding client sends at most: 650 MB, far more than any socket
   * buffers on the way hold (the kernel autotunes them to a few MiB; 32 MiB at most here).
   */
  private static final int FLOOD_FRAMES = 50_000_000;

  private StubServer backend;
  private RunningProxy proxy;
  private Socket bystander;

  @BeforeEach
  void start() throws Exception {
    backend = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok\n"));
    Http2LimitsConfig h2 =
        new Http2LimitsConfig(2, 4096, 20, Duration.ofSeconds(30), 100, 2, 16, 64 << 10, 1 << 20);
    LimitsConfig d = TestConfigs.defaultLimits();
    LimitsConfig limits =
        new LimitsConfig(
            d.maxRequestLineBytes(),
            d.maxHeaderBytes(),
            d.maxHeaders(),
            d.maxBodyBytes(),
            d.requestBufferBytes(),
            h2);
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                TestConfigs.defaultTimeouts(),
                limits));
    bystander = new Socket("127.0.0.1", proxy.port());
    bystander.setSoTimeout(30_000);
  }

  @AfterEach
  void stop() throws Exception {
    bystander.close();
    proxy.close();
    backend.close();
  }

  /** The connection opened before the abuse still gets an answer. */
  private void bystanderIsServed() throws Exception {
    OutputStream out = bystander.getOutputStream();
    out.write("GET /after HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = bystander.getInputStream();
    byte[] buf = new byte[12];
    int n = 0;
    while (n < buf.length) {
      int r = in.read(buf, n, buf.length - n);
      assertThat(r).isPositive();
      n += r;
    }
    assertThat(new String(buf, StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
  }

  private void assertGoAway(RawH2Client c, long errorCode, String type) throws Exception {
    RawH2Client.Frame goAway = c.await(GOAWAY, 0);
    if (goAway != null) {
      assertThat(goAway.errorCode()).isEqualTo(errorCode);
    }
    assertThat(c.closedByPeer()).isTrue();
    await().untilAsserted(() -> assertThat(proxy.http2GoAways()).containsExactly(type));
    bystanderIsServed();
  }

  @Test
  void rapidResetEndsTheConnection() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      for (int i = 0; i < 40; i++) {
        int stream = 1 + 2 * i;
        c.frame(HEADERS, END_HEADERS | END_STREAM, stream, RawH2Client.requestBlock("GET", "/r"));
        c.frame(RST_STREAM, 0, stream, RawH2Client.int32(0x8)); // CANCEL
      }
      c.flush();
      RawH2Client.Frame goAway = c.await(GOAWAY, 0);
      assertThat(goAway).isNotNull();
      assertThat(goAway.errorCode()).isEqualTo(ENHANCE_YOUR_CALM);
      assertThat(c.closedByPeer()).isTrue();
    }
    await().untilAsserted(() -> assertThat(proxy.http2GoAways()).containsExactly("rapid_reset"));
    bystanderIsServed();
  }

  /**
   * Each PING and SETTINGS asks for an ack the client never reads. The acks fill the proxy's socket
   * buffer and the client's, then queue in the proxy, up to maxQueuedControlFrames (100 here),
   * where the connection ends with GOAWAY. How many frames that takes depends on the kernel's
   * buffers, autotuned to a few MiB (here the client had written ~550,000 frames, 7 MB, when it was
   * cut), and how long on the machine's load (30 s at load 7 with paranoid leak detection), so the
   * test floods until the connection is cut rather than for a time. A proxy that stopped reading
   * without ending the connection would block the flood's write for good, and one that kept reading
   * without a limit would take the flood to its end: the timeout bounds either failure, it is not a
   * speed requirement.
   */
  @Test
  @Timeout(value = 10, unit = TimeUnit.MINUTES, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
  void pingAndSettingsFloodFromAClientThatDoesNotReadEndsTheConnection() throws Exception {
    int sent = 0;
    boolean cut = false;
    try (RawH2Client c = new RawH2Client(proxy.port(), 4096)) {
      byte[] ping = new byte[8];
      byte[] none = new byte[0];
      try {
        for (; sent < FLOOD_FRAMES; sent++) {
          c.frame(sent % 2 == 0 ? PING : SETTINGS, 0, 0, sent % 2 == 0 ? ping : none);
        }
        c.flush();
      } catch (java.io.IOException e) {
        cut = true; // the proxy closed the connection while the flood was written
      }
    }
    assertThat(cut).as("connection cut before %d frames were sent", FLOOD_FRAMES).isTrue();
    await()
        .untilAsserted(
            () -> assertThat(proxy.http2GoAways()).containsExactly("control_frame_flood"));
    bystanderIsServed();
  }

  @Test
  void emptyDataFramesEndTheConnection() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(HEADERS, END_HEADERS, 1, RawH2Client.requestBlock("POST", "/e"));
      for (int i = 0; i < 5; i++) {
        c.frame(DATA, 0, 1, new byte[0]);
      }
      c.flush();
      assertGoAway(c, ENHANCE_YOUR_CALM, "empty_frames");
    }
  }

  @Test
  void continuationFloodEndsTheConnection() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      byte[] block = RawH2Client.requestBlock("GET", "/c");
      c.frame(HEADERS, 0, 1, Arrays.copyOf(block, 4));
      for (int i = 0; i < 100; i++) {
        c.frame(CONTINUATION, 0, 1, new byte[0]);
      }
      c.flush();
      assertGoAway(c, ENHANCE_YOUR_CALM, "continuation_flood");
    }
  }

  @Test
  void headerListFarPastTheLimitAcrossContinuationFramesEndsTheConnection() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      byte[] block = RawH2Client.requestBlock("GET", "/h", "x-big", "a".repeat(100_000));
      int piece = 16_384;
      try {
        c.frame(HEADERS, 0, 1, Arrays.copyOfRange(block, 0, piece));
        int at = piece;
        while (at < block.length) {
          int end = Math.min(block.length, at + piece);
          c.frame(
              CONTINUATION,
              end == block.length ? END_HEADERS : 0,
              1,
              Arrays.copyOfRange(block, at, end));
          at = end;
        }
        c.flush();
      } catch (SocketException e) {
        // The proxy may end the connection while the rest of the oversized list is still being
        // written (it stops at the limit, not at the end): the write then meets a reset.
      }
      RawH2Client.Frame goAway = c.await(GOAWAY, 0);
      assertThat(c.closedByPeer()).isTrue();
      if (goAway != null) {
        assertThat(goAway.errorCode()).isNotZero();
      }
    }
    await()
        .untilAsserted(() -> assertThat(proxy.http2GoAways()).containsExactly("header_list_size"));
    assertThat(backend.received()).isEmpty();
    bystanderIsServed();
  }

  @Test
  void windowUpdatePastTheMaximumEndsTheConnection() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(WINDOW_UPDATE, 0, 0, RawH2Client.int32(0x7fffffffL));
      c.frame(WINDOW_UPDATE, 0, 0, RawH2Client.int32(0x7fffffffL));
      c.flush();
      assertGoAway(c, FLOW_CONTROL_ERROR, "flow_control");
    }
  }

  @Test
  void aStreamPastMaxConcurrentStreamsIsRefusedAndTheConnectionStays() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      // Three request bodies left open: only two streams may be open at once here.
      for (int stream = 1; stream <= 5; stream += 2) {
        c.frame(HEADERS, END_HEADERS, stream, RawH2Client.requestBlock("POST", "/s" + stream));
      }
      c.flush();
      RawH2Client.Frame refused = c.await(RST_STREAM, 5);
      assertThat(refused).isNotNull();
      assertThat(refused.errorCode()).isEqualTo(REFUSED_STREAM);
      // the connection still serves the open streams
      c.frame(DATA, END_STREAM, 1, "x".getBytes(StandardCharsets.US_ASCII));
      c.flush();
      RawH2Client.Frame answer = c.await(HEADERS, 1);
      assertThat(answer).isNotNull();
    }
    assertThat(proxy.http2GoAways()).isEmpty();
  }
}
