package io.canaryproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ForwardedHeadReference;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forwarded head is byte for byte what today's path sends (ForwardHeaders and Netty's encoder
 * on Netty's decoded request), for the common shapes of request.
 */
class UpstreamHeadWriterTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(8192, 16384, 100, 1 << 20);
  private static final Set<String> KEEP = Set.of("x-user-id", "x-canary");

  @ParameterizedTest
  @ValueSource(
      strings = {
        "GET /plain HTTP/1.1\r\nHost: shop.example\r\nAccept: */*\r\nUser-Agent: curl/8\r\n\r\n",
        "GET /keep HTTP/1.1\r\nHost: a\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n"
            + "x-user-id: u-1\r\nCookie: a=b\r\n\r\n",
        "POST /form HTTP/1.1\r\nHost: a\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n",
        "POST /ch HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
        "GET /xff HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.1\r\nX-Forwarded-Proto: https\r\n"
            + "X-Forwarded-Host: b\r\nAccept: */*\r\n\r\n",
        "GET /hop HTTP/1.1\r\nHost: a\r\nConnection: x-a, x-user-id, close\r\nx-a: 1\r\n"
            + "x-user-id: u\r\nProxy-Authorization: p\r\nTE: trailers\r\nUpgrade: h2c\r\n\r\n",
        "GET /override HTTP/1.1\r\nHost: a\r\nx-canary: canary\r\nX-Canary: stable\r\n\r\n",
        "POST /expect HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n",
        "GET /old HTTP/1.0\r\nAccept: */*\r\n\r\n",
        "GET http://a HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET http://a?q=1 HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /ows HTTP/1.1\r\nHost:a\r\nX-A:  spaced  \r\nX-B:\r\nX-C: \r\n\r\n"
      })
  void writesTheSameBytesAsTodaysPath(String raw) {
    ByteBuf src = Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1);
    ByteBuf out = Unpooled.buffer();
    try {
      RequestHeadParser parser = new RequestHeadParser(LIMITS);
      assertThat(parser.parse(src)).isEqualTo(RequestHeadParser.Result.COMPLETE);
      UpstreamHeadWriter.write(parser.head(), src, out, "192.0.2.7", KEEP, "x-canary", "b:80");
      String expected =
          new String(
              ForwardedHeadReference.forwardedHead(
                  nettyDecoded(raw), "192.0.2.7", KEEP, "x-canary", "b:80"),
              StandardCharsets.ISO_8859_1);
      assertThat(out.toString(StandardCharsets.ISO_8859_1)).isEqualTo(expected);
    } finally {
      src.release();
      out.release();
    }
  }

  private static HttpRequest nettyDecoded(String raw) {
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new HttpRequestDecoder(
                new HttpDecoderConfig()
                    .setAllowDuplicateContentLengths(false)
                    .setUseRfc9112TransferEncoding(true)));
    ch.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    HttpRequest request = ch.readInbound();
    Object rest;
    while ((rest = ch.readInbound()) != null) {
      ReferenceCountUtil.release(rest);
    }
    ch.finishAndReleaseAll();
    return request;
  }
}
