package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 backend's response head and trailers reach an HTTP/2 client as the backend's own
 * decoded blocks, with the exchange's changes and without what HTTP/2 forbids in a response: on raw
 * frames both ways, and to an HTTP/1.1 client as well.
 */
class Http2ResponseBlockIT {
  /** 3,000 bytes that Huffman coding does not shrink below 1 KiB: varied letters and digits. */
  private static final String BIG_VALUE = big();

  private static String big() {
    StringBuilder b = new StringBuilder();
    for (int i = 0; b.length() < 3000; i++) {
      b.append(Integer.toString(i * 7919, 36)).append('-');
    }
    return b.substring(0, 3000);
  }

  private RawH2Backend backend;
  private RunningProxy proxy;
  private final List<Http2Headers> requests = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeEach
  void start() throws Exception {
    backend =
        new RawH2Backend(
            n ->
                c -> {
                  c.settings();
                  RawH2Backend.Request r;
                  while ((r = c.awaitRequest()) != null) {
                    requests.add(r.headers());
                    if (r.path().equals("/big")) {
                      // A head whose block is larger than the frame buffers kept on the heap.
                      c.headers(r.stream(), false, ":status", "200", "x-big", BIG_VALUE);
                    } else {
                      c.headers(
                          r.stream(),
                          false,
                          ":status",
                          "200",
                          "content-type",
                          "text/plain",
                          "trailer",
                          "x-t",
                          "x-app",
                          "a1",
                          "x-app",
                          "a2");
                    }
                    c.data(r.stream(), false, "body " + r.path());
                    c.headers(r.stream(), true, "x-t", "1", "te", "trailers");
                    c.flush();
                  }
                });
    String endpoint = "{ endpoints: [\"" + backend.endpoint() + "\"], protocol: h2c }";
    proxy =
        new RunningProxy(
            ConfigLoader.parse(
                String.join(
                    "\n",
                    "listen: 127.0.0.1:0",
                    "ioThreads: 1",
                    "admin:",
                    "  listen: 127.0.0.1:0",
                    "backends:",
                    "  stable: " + endpoint,
                    "  canary: " + endpoint,
                    "routing:",
                    "  canaryPercent: 0",
                    "  salt: \"block-salt\"",
                    "  exposeVariantHeader: true",
                    "")));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  private static List<String> fields(Http2Headers h) {
    List<String> out = new ArrayList<>();
    h.forEach(e -> out.add(e.getKey() + ": " + e.getValue()));
    return out;
  }

  @Test
  void anHttp2ClientGetsTheBackendsFieldsWithTheVariantAndWithoutHopByHopFields() throws Exception {
    List<Http2Headers> blocks = new ArrayList<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
      // Twice on one connection: the second head is HPACK-encoded against the first.
      for (int stream = 1; stream <= 3; stream += 2) {
        c.frame(HEADERS, END_HEADERS | END_STREAM, stream, RawH2Client.requestBlock("GET", "/s"));
        c.flush();
        RawH2Client.Frame f;
        boolean ended = false;
        while (!ended && (f = c.read()) != null) {
          if (f.type() == HEADERS) {
            ByteBuf block = Unpooled.wrappedBuffer(f.payload());
            try {
              blocks.add(decoder.decodeHeaders(f.stream(), block));
            } finally {
              block.release();
            }
          } else if (f.type() == DATA) {
            body.writeBytes(f.payload());
          }
          ended = f.stream() == stream && (f.flags() & END_STREAM) != 0;
        }
        if (stream == 1) {
          assertThat(blocks).hasSize(2);
        }
      }
    }
    assertThat(blocks).hasSize(4);
    for (int i = 0; i < 4; i += 2) {
      Http2Headers head = blocks.get(i);
      assertThat(head.status().toString()).isEqualTo("200");
      assertThat(fields(head))
          .containsSubsequence("x-app: a1", "x-app: a2")
          .contains("content-type: text/plain", "x-canary-variant: stable")
          .noneMatch(f -> f.startsWith("trailer:") || f.startsWith("te:"));
      assertThat(fields(blocks.get(i + 1))).containsExactly("x-t: 1");
    }
    assertThat(body.toString(StandardCharsets.US_ASCII)).isEqualTo("body /sbody /s");
  }

  @Test
  void anHttp1ClientGetsTheSameFields() throws Exception {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /h1 HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      String head = response.substring(0, response.indexOf("\r\n\r\n") + 2).toLowerCase();
      assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").contains("\r\nbody /h1\r\n");
      assertThat(head)
          .contains("\r\nx-app: a1\r\nx-app: a2\r\n")
          .contains("\r\nx-canary-variant: stable\r\n")
          .doesNotContain("\r\ntrailer:")
          .doesNotContain("x-t:");
    }
  }

  @Test
  void anHttp2ClientsRequestReachesAnHttp2BackendWithItsFieldsAndTheForwardingOnes()
      throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      for (int stream = 1; stream <= 3; stream += 2) {
        c.frame(
            HEADERS,
            END_HEADERS | END_STREAM,
            stream,
            RawH2Client.requestBlock(
                "GET", "/q?a=" + stream, "x-a", "one", "user-agent", "raw", "te", "trailers"));
        c.flush();
        RawH2Client.Frame f;
        boolean ended = false;
        while (!ended && (f = c.read()) != null) {
          ended = f.stream() == stream && (f.flags() & END_STREAM) != 0;
        }
      }
    }
    assertThat(requests).hasSize(2);
    for (int i = 0; i < 2; i++) {
      Http2Headers r = requests.get(i);
      assertThat(r.method().toString()).isEqualTo("GET");
      assertThat(r.scheme().toString()).isEqualTo("http");
      assertThat(r.path().toString()).isEqualTo("/q?a=" + (2 * i + 1));
      assertThat(r.authority().toString()).isEqualTo("127.0.0.1");
      assertThat(fields(r))
          .contains(
              "x-a: one",
              "user-agent: raw",
              "x-forwarded-for: 127.0.0.1",
              "x-forwarded-proto: http",
              "x-forwarded-host: 127.0.0.1",
              "content-length: 0")
          .endsWith("te: trailers") // once: the client's own te is not passed on
          .noneMatch(f -> f.startsWith("host:"));
    }
  }

  /**
   * Header blocks over 1 KiB both ways (the proxy's frame writer makes them on the heap, and the
   * transport copies such a buffer before the socket takes it): the backend gets the client's big
   * field, and the client the backend's, byte for byte, with the stream's body after them.
   */
  @Test
  void headerBlocksLargerThanOneKilobyteCrossIntactBothWays() throws Exception {
    assertThat(BIG_VALUE).hasSize(3000);
    List<Http2Headers> blocks = new ArrayList<>();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
      c.frame(
          HEADERS,
          END_HEADERS | END_STREAM,
          1,
          RawH2Client.requestBlock("GET", "/big", "x-big-request", BIG_VALUE));
      c.flush();
      RawH2Client.Frame f;
      boolean ended = false;
      while (!ended && (f = c.read()) != null) {
        if (f.type() == HEADERS) {
          ByteBuf block = Unpooled.wrappedBuffer(f.payload());
          try {
            blocks.add(decoder.decodeHeaders(f.stream(), block));
          } finally {
            block.release();
          }
        } else if (f.type() == DATA) {
          body.writeBytes(f.payload());
        }
        ended = f.stream() == 1 && (f.flags() & END_STREAM) != 0;
      }
    }
    assertThat(requests).hasSize(1);
    assertThat(requests.get(0).get("x-big-request").toString()).isEqualTo(BIG_VALUE);
    assertThat(blocks).hasSize(2);
    assertThat(blocks.get(0).status().toString()).isEqualTo("200");
    assertThat(blocks.get(0).get("x-big").toString()).isEqualTo(BIG_VALUE);
    assertThat(body.toString(StandardCharsets.US_ASCII)).isEqualTo("body /big");
  }
}
