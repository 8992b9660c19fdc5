package io.canaryproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.Http1RequestHead.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The request head parser on its own: the README's rejections, offsets, framing, split heads. */
class RequestHeadParserTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(64, 256, 5, 10);

  private static ByteBuf buf(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  static Stream<Arguments> rejected() {
    String h = "Host: a\r\n";
    return Stream.of(
        // 400: a decode failure and each strict check of the README's table
        Arguments.of("garbage", "\u0016\u0003\u0001\u0000\u00a5hello\r\n\r\n", 400),
        Arguments.of("leading space", " GET / HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("bare CR before line", "\rGET / HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of(
            "CL with TE",
            "POST / HTTP/1.1\r\n"
                + h
                + "Content-Length: 1\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n",
            400),
        Arguments.of(
            "two CL",
            "POST / HTTP/1.1\r\n" + h + "Content-Length: 1\r\n" + "Content-Length: 1\r\n\r\n",
            400),
        Arguments.of(
            "two CL in 1.0",
            "POST / HTTP/1.0\r\nContent-Length: 1\r\n" + "Content-Length: 1\r\n\r\n",
            400),
        Arguments.of("CL list", "POST / HTTP/1.1\r\n" + h + "Content-Length: 1, 1\r\n\r\n", 400),
        Arguments.of("CL sign", "POST / HTTP/1.1\r\n" + h + "Content-Length: +1\r\n\r\n", 400),
        Arguments.of(
            "final coding gzip",
            "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: chunked, gzip\r\n\r\n",
            400),
        Arguments.of("TE in 1.0", "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        Arguments.of("obs-fold", "GET / HTTP/1.1\r\n" + h + "X-A: b\r\n c\r\n\r\n", 400),
        Arguments.of("space before colon", "GET / HTTP/1.1\r\n" + h + "X-A : b\r\n\r\n", 400),
        Arguments.of("bare LF", "GET / HTTP/1.1\nHost: a\n\n", 400),
        Arguments.of("missing Host", "GET / HTTP/1.1\r\n\r\n", 400),
        Arguments.of("two Host", "GET / HTTP/1.1\r\n" + h + h + "\r\n", 400),
        Arguments.of("Host with slash", "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        Arguments.of("method not a token", "G(T / HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("DEL in target", "GET /a\u007f HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("8-bit target", "GET /\u00e9 HTTP/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("lower-case version", "GET / http/1.1\r\n" + h + "\r\n", 400),
        Arguments.of("control in value", "GET / HTTP/1.1\r\n" + h + "X: a\u0001b\r\n\r\n", 400),
        // the other statuses
        Arguments.of(
            "declared body too large",
            "POST / HTTP/1.1\r\n" + h + "Content-Length: 11\r\n\r\n",
            413),
        Arguments.of("line too long", "GET /" + "a".repeat(70) + " HTTP/1.1\r\n" + h + "\r\n", 414),
        Arguments.of(
            "unknown expectation", "GET / HTTP/1.1\r\n" + h + "Expect: magic\r\n\r\n", 417),
        Arguments.of(
            "header section too large",
            "GET / HTTP/1.1\r\n" + h + "X: " + "b".repeat(300) + "\r\n\r\n",
            431),
        Arguments.of(
            "too many fields",
            "GET / HTTP/1.1\r\n" + h + "A: 1\r\nB: 1\r\nC: 1\r\n" + "D: 1\r\nE: 1\r\n\r\n",
            431),
        Arguments.of("HTTP/2.0", "GET / HTTP/2.0\r\n" + h + "\r\n", 505),
        Arguments.of("CONNECT", "CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 501),
        Arguments.of(
            "coding other than chunked",
            "POST / HTTP/1.1\r\n" + h + "Transfer-Encoding: gzip, chunked\r\n\r\n",
            501));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("rejected")
  void refusesWithTheStatusOfTheReadmeTable(String name, String raw, int status) {
    ByteBuf b = buf(raw);
    try {
      RequestHeadParser p = new RequestHeadParser(LIMITS);
      assertThat(p.parse(b)).isEqualTo(RequestHeadParser.Result.REJECTED);
      assertThat(p.rejection().status()).isEqualTo(status);
      assertThat(p.parse(b)).as("refused for good").isEqualTo(RequestHeadParser.Result.REJECTED);
    } finally {
      b.release();
    }
  }

  @Test
  void readsOffsetsFramingAndHopByHopFieldsInPlace() {
    String raw =
        "\r\nPOST /up?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length:  3 \r\n"
            + "Connection: x-a, close\r\nx-a: 1\r\n\r\nabcGET";
    ByteBuf b = buf(raw);
    try {
      RequestHeadParser p = new RequestHeadParser(LIMITS);
      assertThat(p.parse(b)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      Http1RequestHead h = p.head();
      assertThat(b.readerIndex()).as("the empty line before is consumed").isEqualTo(2);
      assertThat(Http1RequestHead.text(b, h.methodStart(), h.methodEnd())).isEqualTo("POST");
      assertThat(Http1RequestHead.text(b, h.targetStart(), h.targetEnd())).isEqualTo("/up?x=1");
      assertThat(h.minorVersion()).isEqualTo(1);
      assertThat(fields(h, b))
          .containsExactly("Host=a", "Content-Length=3", "Connection=x-a, close", "x-a=1");
      assertThat(h.framing()).isEqualTo(Framing.LENGTH);
      assertThat(h.contentLength()).isEqualTo(3);
      assertThat(h.hopByHop(0)).isEqualTo(Http1RequestHead.HOP_KEEP);
      assertThat(h.hopByHop(2)).isEqualTo(Http1RequestHead.HOP_ALWAYS);
      assertThat(h.hopByHop(3)).isEqualTo(Http1RequestHead.HOP_NAMED);
      assertThat(b.toString(b.readerIndex() + h.length(), 3, StandardCharsets.ISO_8859_1))
          .as("the body follows the head")
          .isEqualTo("abc");
    } finally {
      b.release();
    }
  }

  @Test
  void connectionCannotNameAwayFramingOrHost() {
    ByteBuf b =
        buf(
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\n"
                + "Connection: content-length, host, transfer-encoding\r\n\r\nx");
    try {
      RequestHeadParser p = new RequestHeadParser(LIMITS);
      assertThat(p.parse(b)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      assertThat(p.head().hopByHop(0)).isEqualTo(Http1RequestHead.HOP_KEEP);
      assertThat(p.head().hopByHop(1)).isEqualTo(Http1RequestHead.HOP_KEEP);
    } finally {
      b.release();
    }
  }

  static Stream<Arguments> framings() {
    return Stream.of(
        Arguments.of("GET / HTTP/1.1\r\nHost: a\r\n\r\n", Framing.NONE, -1L),
        Arguments.of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", Framing.LENGTH, 0L),
        Arguments.of(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n",
            Framing.CHUNKED,
            -1L),
        // The legacy WebSocket handshake body Netty reads (8 bytes), framed the same way.
        Arguments.of(
            "GET / HTTP/1.1\r\nHost: a\r\nSec-WebSocket-Key1: 1\r\nSec-WebSocket-Key2: 2\r\n\r\n",
            Framing.LENGTH,
            8L));
  }

  @ParameterizedTest
  @MethodSource("framings")
  void decidesTheFraming(String raw, Framing framing, long length) {
    ByteBuf b = buf(raw);
    try {
      RequestHeadParser p = new RequestHeadParser(LIMITS);
      assertThat(p.parse(b)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      assertThat(p.head().framing()).isEqualTo(framing);
      assertThat(p.head().contentLength()).isEqualTo(length);
    } finally {
      b.release();
    }
  }

  @Test
  void aHeadSplitAtAnyByteReadsTheSame() {
    String raw = "GET /s HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nX-B:\tb\t\r\n\r\n";
    for (int cut = 1; cut < raw.length(); cut++) {
      ByteBuf b = buf(raw.substring(0, cut));
      try {
        RequestHeadParser p = new RequestHeadParser(LIMITS);
        assertThat(p.parse(b)).as("cut at %d", cut).isEqualTo(RequestHeadParser.Result.INCOMPLETE);
        b.writeBytes(raw.substring(cut).getBytes(StandardCharsets.ISO_8859_1));
        assertThat(p.parse(b)).as("cut at %d", cut).isEqualTo(RequestHeadParser.Result.COMPLETE);
        assertThat(fields(p.head(), b)).containsExactly("Host=a", "Expect=100-continue", "X-B=b");
        assertThat(p.head().expectsContinue()).isTrue();
        assertThat(p.head().length()).isEqualTo(raw.length());
      } finally {
        b.release();
      }
    }
  }

  @Test
  void parsesPipelinedHeadsOneAfterTheOther() {
    ByteBuf b = buf("GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.0\r\n\r\n");
    try {
      RequestHeadParser p = new RequestHeadParser(LIMITS);
      List<String> targets = new ArrayList<>();
      while (p.parse(b) == RequestHeadParser.Result.COMPLETE) {
        Http1RequestHead h = p.head();
        targets.add(
            Http1RequestHead.text(b, h.targetStart(), h.targetEnd()) + " 1." + h.minorVersion());
        b.skipBytes(h.length());
      }
      assertThat(targets).containsExactly("/1 1.1", "/2 1.0");
    } finally {
      b.release();
    }
  }

  static List<String> fields(Http1RequestHead h, ByteBuf b) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < h.fieldCount(); i++) {
      out.add(
          Http1RequestHead.text(b, h.nameStart(i), h.nameEnd(i))
              + "="
              + Http1RequestHead.text(b, h.valueStart(i), h.valueEnd(i)));
    }
    return out;
  }
}
