package io.canaryproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.http1.Http1ResponseHead.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The response head parser: framing (CL vs TE, 1xx, HEAD/204/304) and what it refuses. */
class ResponseHeadParserTest {
  static Stream<Arguments> framed() {
    return Stream.of(
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", false, Framing.LENGTH, 2L),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", true, Framing.NONE, -1L),
        Arguments.of(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            false,
            Framing.CHUNKED,
            -1L),
        Arguments.of(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", false, Framing.UNTIL_CLOSE, -1L),
        Arguments.of("HTTP/1.0 200 OK\r\n\r\n", false, Framing.UNTIL_CLOSE, -1L),
        Arguments.of("HTTP/1.1 204 No Content\r\n\r\n", false, Framing.NONE, -1L),
        Arguments.of(
            "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", false, Framing.NONE, -1L),
        Arguments.of("HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n", false, Framing.NONE, -1L),
        Arguments.of("\r\nHTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", false, Framing.LENGTH, 0L));
  }

  @ParameterizedTest
  @MethodSource("framed")
  void decidesTheFraming(String raw, boolean head, Framing framing, long length) {
    ByteBuf b = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    try {
      ResponseHeadParser p = new ResponseHeadParser(4096, 65536);
      assertThat(p.parse(b, head)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      assertThat(p.head().framing()).isEqualTo(framing);
      assertThat(p.head().contentLength()).isEqualTo(length);
      assertThat(b.readerIndex() + p.head().length()).isEqualTo(raw.length());
    } finally {
      b.release();
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "HTTP/2.0 200 OK\r\n\r\n",
        "<html>",
        "HTTP/1.1 600 Odd\r\n\r\n",
        "HTTP/1.1 20 Short\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A: 1\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n",
        "HTTP/1.1 200 OK\nContent-Length: 0\n\n"
      })
  void refusesABrokenHead(String raw) {
    ByteBuf b = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    try {
      assertThat(new ResponseHeadParser(4096, 65536).parse(b, false))
          .isEqualTo(RequestHeadParser.Result.REJECTED);
    } finally {
      b.release();
    }
  }

  @Test
  void waitsForTheRestOfASplitHeadAndKeepsStatusAndFields() {
    String raw = "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
    ByteBuf b = Unpooled.copiedBuffer(raw.substring(0, 30), StandardCharsets.ISO_8859_1);
    try {
      ResponseHeadParser p = new ResponseHeadParser(4096, 65536);
      assertThat(p.parse(b, false)).isEqualTo(RequestHeadParser.Result.INCOMPLETE);
      b.writeBytes(raw.substring(30).getBytes(StandardCharsets.ISO_8859_1));
      assertThat(p.parse(b, false)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      assertThat(p.head().status()).isEqualTo(404);
      assertThat(p.head().fieldCount()).isEqualTo(2);
      assertThat(p.head().hopByHop(0)).isEqualTo(Http1RequestHead.HOP_ALWAYS);
    } finally {
      b.release();
    }
  }
}
