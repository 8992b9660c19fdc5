package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.server.http1.RejectedRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The decoder and the guard together, as the client pipeline has them, driven through an
 * EmbeddedChannel.
 */
class RequestGuardHandlerTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(64, 256, 5, 10);

  private static EmbeddedChannel channel(long headerTimeoutNanos) {
    return channel(headerTimeoutNanos, 0);
  }

  private static EmbeddedChannel channel(long headerTimeoutNanos, long bodyTimeoutNanos) {
    HttpDecoderConfig config =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(LIMITS.maxRequestLineBytes())
            .setMaxHeaderSize(LIMITS.maxHeaderBytes())
            .setAllowDuplicateContentLengths(false)
            .setUseRfc9112TransferEncoding(true);
    return new EmbeddedChannel(
        new ProxyRequestDecoder(config, headerTimeoutNanos, bodyTimeoutNanos),
        new RequestGuardHandler(LIMITS));
  }

  private static void write(EmbeddedChannel ch, String raw) {
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
  }

  static Stream<Arguments> rejected() {
    return Stream.of(
        Arguments.of("GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n 2\r\n\r\n", 400),
        Arguments.of("GET /" + "x".repeat(100) + " HTTP/1.1\r\nHost: a\r\n\r\n", 414),
        Arguments.of("GET / HTTP/1.1\r\nHost: a\r\nX: " + "y".repeat(300) + "\r\n\r\n", 431),
        Arguments.of(
            "GET / HTTP/1.1\r\nHost: a\r\nA: 1\r\nB: 1\r\nC: 1\r\nD: 1\r\nE: 1\r\n\r\n", 431),
        Arguments.of("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 11\r\n\r\n", 413),
        Arguments.of("GET / HTTP/1.1\r\n\r\n", 400),
        Arguments.of("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505),
        // a tunnel cannot be framed, and would turn a pooled connection into a pass-through
        Arguments.of("CONNECT x:443 HTTP/1.1\r\nHost: x:443\r\n\r\n", 501),
        // request targets with bytes a backend may read differently
        Arguments.of("GET /a\u0000b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("GET /a\u0001b HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("GET /a\u007fb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("GET /a\u00ffb HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("G@T / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        // Netty would skip whitespace before the request line; found by the fuzz test
        Arguments.of(" chunkePOST / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("\r\n\tGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("\rb%POST /a HTTP/1.1\r\nHost: a\r\n\r\n", 400), // a bare CR, found by fuzzing
        Arguments.of("\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("GET /a http/1.1\r\nHost: a\r\n\r\n", 400),
        Arguments.of("GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
        Arguments.of("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n", 400),
        Arguments.of("GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n", 400),
        // HTTP/1.0: the decoder would keep the first Content-Length and serve the rest as a request
        Arguments.of("POST / HTTP/1.0\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab", 400),
        Arguments.of("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        Arguments.of(
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
            501));
  }

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("GET /a?b=%20&c=d~ HTTP/1.1\r\nHost: shop.example:8080\r\n\r\n"),
        Arguments.of("GET http://x.example/a HTTP/1.1\r\nHost: x.example\r\n\r\n"),
        Arguments.of("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"),
        Arguments.of("GET / HTTP/1.1\r\nHost: \r\n\r\n"),
        Arguments.of("GET / HTTP/1.0\r\n\r\n"),
        Arguments.of("\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), // RFC 9112 §2.2
        Arguments.of("M-SEARCH * HTTP/1.1\r\nHost: a\r\n\r\n"));
  }

  @ParameterizedTest
  @MethodSource("accepted")
  void passesAValidRequestLineAndHost(String raw) {
    EmbeddedChannel ch = channel(0);
    write(ch, raw);
    HttpRequest request = ch.readInbound();
    assertThat(request.decoderResult().isSuccess()).isTrue();
    ReferenceCountUtil.release(ch.readInbound());
    assertThat(ch.config().isAutoRead()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @ParameterizedTest
  @MethodSource("rejected")
  void turnsABadRequestIntoARejectionAndPassesNothingElse(String raw, int status) {
    EmbeddedChannel ch = channel(0);
    write(ch, raw + "GET /next HTTP/1.1\r\nHost: a\r\n\r\n");
    Object first = ch.readInbound();
    assertThat(first).isInstanceOf(RejectedRequest.class);
    assertThat(((RejectedRequest) first).status().code()).isEqualTo(status);
    assertThat((Object) ch.readInbound()).as("nothing after a rejection").isNull();
    assertThat(ch.config().isAutoRead()).isFalse();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void foldingIsOnlyDetectedInsideAHead() {
    // A body that happens to contain "\r\n " must not be mistaken for a folded header.
    EmbeddedChannel ch = channel(0);
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\n\r\n x");
    write(ch, "GET / HTTP/1.1\r\nHost: a\r\n");
    write(ch, "X-Split: 1\r\n\r\n");
    HttpRequest post = ch.readInbound();
    assertThat(post.decoderResult().isSuccess()).isTrue();
    HttpContent body = ch.readInbound();
    assertThat(body.content().toString(StandardCharsets.ISO_8859_1)).isEqualTo("\r\n x");
    body.release();
    HttpRequest get = ch.readInbound();
    assertThat(get.decoderResult().isSuccess()).isTrue();
    assertThat(get.headers().get("x-split")).isEqualTo("1");
    ReferenceCountUtil.release(ch.readInbound());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void foldingSplitAcrossReadsIsDetected() {
    EmbeddedChannel ch = channel(0);
    write(ch, "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n");
    write(ch, "\tc\r\n\r\n");
    Object first = ch.readInbound();
    assertThat(first).isInstanceOf(RejectedRequest.class);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void chunkedBodyGrowingPastTheLimitIsRejectedMidStream() {
    EmbeddedChannel ch = channel(0);
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n");
    HttpRequest head = ch.readInbound();
    assertThat(head.decoderResult().isSuccess()).isTrue();
    HttpContent first = ch.readInbound();
    assertThat(first.content().readableBytes()).isEqualTo(6);
    first.release();
    write(ch, "6\r\nghijkl\r\n0\r\n\r\n");
    Object next = ch.readInbound();
    assertThat(next).isInstanceOf(RejectedRequest.class);
    assertThat(((RejectedRequest) next).status().code()).isEqualTo(413);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aHeadThatStallsIsRejectedWith408AfterTheHeaderTimeout() {
    EmbeddedChannel ch = channel(TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "GET / HTTP/1.1\r\nHost: a\r\n");
    assertThat((Object) ch.readInbound()).isNull();
    ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    Object rejected = ch.readInbound();
    assertThat(rejected).isInstanceOf(RejectedRequest.class);
    assertThat(((RejectedRequest) rejected).status().code()).isEqualTo(408);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void anEmptyLineSplitAcrossReadsIsSkipped() {
    EmbeddedChannel ch = channel(0);
    write(ch, "\r");
    write(ch, "\nGET /x HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpRequest request = ch.readInbound();
    assertThat(request.decoderResult().isSuccess()).isTrue();
    ReferenceCountUtil.release(ch.readInbound());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aRequestLineSplitAcrossReadsIsNotMistakenForLeadingWhitespace() {
    EmbeddedChannel ch = channel(0);
    write(ch, "\r\nGET");
    write(ch, " /x HTTP/1.1\r\nHost: a\r\n\r\n");
    HttpRequest request = ch.readInbound();
    assertThat(request.decoderResult().isSuccess()).isTrue();
    assertThat(request.uri()).isEqualTo("/x");
    ReferenceCountUtil.release(ch.readInbound());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aPipelinedHeadIsNotTimedOutWhileTheProxyIsNotReading() {
    EmbeddedChannel ch = channel(TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n");
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    ch.config().setAutoRead(false); // as the forwarder does while the first answer is pending
    ch.advanceTimeBy(500, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound()).as("no 408 while the proxy is not reading").isNull();
    ch.config().setAutoRead(true);
    write(ch, "\r\n");
    HttpRequest second = ch.readInbound();
    assertThat(second.uri()).isEqualTo("/2");
    assertThat(second.decoderResult().isSuccess()).isTrue();
    ReferenceCountUtil.release(ch.readInbound());
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aBodyThatStallsIsRejectedWith408AfterTheBodyTimeout() {
    EmbeddedChannel ch = channel(0, TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n012");
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
    write(ch, "34"); // progress: the allowance starts again
    ReferenceCountUtil.release(ch.readInbound());
    ch.advanceTimeBy(150, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound()).as("paused 150 ms only").isNull();
    ch.advanceTimeBy(100, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    Object rejected = ch.readInbound();
    assertThat(rejected).isInstanceOf(RejectedRequest.class);
    assertThat(((RejectedRequest) rejected).status().code()).isEqualTo(408);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aBodyIsNotTimedOutWhileTheProxyIsNotReading() {
    EmbeddedChannel ch = channel(0, TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n012");
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    ch.config().setAutoRead(false); // the backend cannot take more bytes
    ch.advanceTimeBy(1000, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound()).isNull();
    ch.config().setAutoRead(true);
    ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound())
        .as("once reading again, the client gets its allowance, then 408")
        .isInstanceOf(RejectedRequest.class);
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aBodyThatArrivesWithItsHeadNeedsNoTimer() {
    EmbeddedChannel ch = channel(0, TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc");
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound()).isNull();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void aHeadReceivedInOneReadNeedsNoTimer() {
    EmbeddedChannel ch = channel(TimeUnit.MILLISECONDS.toNanos(200));
    write(ch, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    ReferenceCountUtil.release(ch.readInbound());
    ReferenceCountUtil.release(ch.readInbound());
    ch.advanceTimeBy(300, TimeUnit.MILLISECONDS);
    ch.runScheduledPendingTasks();
    assertThat((Object) ch.readInbound())
        .as("an idle keep-alive connection is not timed out as a slow head")
        .isNull();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void bodyWithinTheLimitPassesThrough() {
    EmbeddedChannel ch = channel(0);
    write(ch, "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n0123456789");
    assertThat(((HttpRequest) ch.readInbound()).decoderResult().isSuccess()).isTrue();
    HttpContent content = ch.readInbound();
    assertThat(content.content().readableBytes()).isEqualTo(10);
    content.release();
    assertThat(ch.config().isAutoRead()).isTrue();
    assertFalse(ch.finishAndReleaseAll());
  }

  @Test
  void contentWithADecodeFailureIsRejected() {
    EmbeddedChannel ch = new EmbeddedChannel(new RequestGuardHandler(LIMITS));
    HttpContent bad = new DefaultHttpContent(Unpooled.buffer(1).writeByte(1));
    bad.setDecoderResult(
        io.netty.handler.codec.DecoderResult.failure(new IllegalStateException("bad chunk")));
    ch.writeInbound(bad);
    assertThat((Object) ch.readInbound()).isInstanceOf(RejectedRequest.class);
    assertThat(bad.refCnt()).isZero();
    assertFalse(ch.finishAndReleaseAll());
  }
}
