package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.RST_STREAM;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.YamlConfigs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The state of a closed stream (its exchange's forwarder) serves the connection's next stream: on
 * raw frames over one client connection, what an earlier stream left behind must not reach the next
 * one, and the response timer still runs for it.
 */
class Http2StreamReuseIT {
  private RawBackend backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  /** A backend that never answers {@code /silent} and answers any other request with its body. */
  private void start(String extraYaml) throws Exception {
    backend =
        new RawBackend(
            (conn, i, r) ->
                r.target().equals("/silent")
                    ? RawBackend.Reply.silence()
                    : RawBackend.Reply.ok(
                        r.target() + " " + new String(r.body(), StandardCharsets.US_ASCII)));
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, extraYaml));
  }

  /** A response read back: its head and body, or {@code reset} when the stream was reset first. */
  private record Answer(Http2Headers head, String body, boolean reset) {
    String status() {
      return head == null ? null : head.status().toString();
    }
  }

  /** Reads until {@code stream} ends (END_STREAM or RST_STREAM from the proxy); others skipped. */
  private static Answer awaitAnswer(RawH2Client c, DefaultHttp2HeadersDecoder decoder, int stream)
      throws Exception {
    Http2Headers head = null;
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    RawH2Client.Frame f;
    while ((f = c.read()) != null) {
      if (f.type() == HEADERS) {
        // Decoded whatever its stream: HPACK state is per connection.
        ByteBuf block = Unpooled.wrappedBuffer(f.payload());
        try {
          Http2Headers h = decoder.decodeHeaders(f.stream(), block);
          if (f.stream() == stream && head == null) {
            head = h;
          }
        } finally {
          block.release();
        }
      }
      if (f.stream() != stream) {
        continue;
      }
      if (f.type() == DATA) {
        body.writeBytes(f.payload());
      }
      if (f.type() == RST_STREAM) {
        return new Answer(head, body.toString(StandardCharsets.US_ASCII), true);
      }
      if ((f.type() == HEADERS || f.type() == DATA) && (f.flags() & END_STREAM) != 0) {
        return new Answer(head, body.toString(StandardCharsets.US_ASCII), false);
      }
    }
    throw new AssertionError("the connection ended before stream " + stream + " did");
  }

  /**
   * Stream 1 uploads part of a body and its backend does not answer: the proxy answers 504 before
   * the body was read (its forwarder would drop the rest of that body). Stream 3, on the same
   * connection, then uploads a whole body: the backend must get all of it, not have it dropped as
   * the rest of stream 1's.
   */
  @Test
  void aStreamAfterOneWhoseBodyWasLeftUnreadGetsItsWholeBody() throws Exception {
    start("limits: { requestBufferBytes: 0 }\ntimeouts: { response: 300ms, requestBody: 60s }");
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
      c.frame(
          HEADERS,
          END_HEADERS,
          1,
          RawH2Client.requestBlock("POST", "/silent", "content-length", "10"));
      c.frame(DATA, 0, 1, "abc".getBytes(StandardCharsets.US_ASCII));
      c.flush();
      Answer first = awaitAnswer(c, decoder, 1);
      assertThat(first.status()).isEqualTo("504");

      c.frame(
          HEADERS,
          END_HEADERS,
          3,
          RawH2Client.requestBlock("POST", "/next", "content-length", "5"));
      c.frame(DATA, END_STREAM, 3, "hello".getBytes(StandardCharsets.US_ASCII));
      c.flush();
      Answer next = awaitAnswer(c, decoder, 3);
      assertThat(next.status()).isEqualTo("200");
      assertThat(next.body()).as("the backend echoes the body it got").isEqualTo("/next hello");
    }
  }

  /**
   * Many streams one after another on one connection are each answered with their own response;
   * then a stream whose backend does not answer still gets its 504 at {@code timeouts.response}:
   * the response timer goes on from one stream to the next.
   */
  @Test
  void streamsOneAfterAnotherGetTheirOwnAnswersAndALaterOneStillTimesOut() throws Exception {
    start("timeouts: { response: 300ms }");
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
      int stream = 1;
      for (int i = 0; i < 40; i++, stream += 2) {
        if (i % 2 == 0) {
          c.frame(
              HEADERS, END_HEADERS | END_STREAM, stream, RawH2Client.requestBlock("GET", "/g" + i));
        } else {
          c.frame(
              HEADERS,
              END_HEADERS,
              stream,
              RawH2Client.requestBlock("POST", "/p" + i, "content-length", "2"));
          c.frame(DATA, END_STREAM, stream, ("b" + (i % 10)).getBytes(StandardCharsets.US_ASCII));
        }
        c.flush();
        Answer a = awaitAnswer(c, decoder, stream);
        assertThat(a.status()).as("stream %d", stream).isEqualTo("200");
        assertThat(a.body())
            .as("stream %d", stream)
            .isEqualTo(i % 2 == 0 ? "/g" + i + " " : "/p" + i + " b" + (i % 10));
      }
      c.frame(
          HEADERS, END_HEADERS | END_STREAM, stream, RawH2Client.requestBlock("GET", "/silent"));
      c.flush();
      Answer late = awaitAnswer(c, decoder, stream);
      assertThat(late.status()).isEqualTo("504");
      assertThat(late.head().get("x-canary-proxy-error").toString()).isEqualTo("response_timeout");
    }
  }
}
