package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.canaryproxy.http.HopByHop;
import io.canaryproxy.http.RequestTargets;
import io.canaryproxy.server.http1.NettyHeaders;
import io.canaryproxy.server.http1.ProxyResponseEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Hop-by-hop stripping, request-target paths, and the HEAD-aware encoder. */
class HeaderRulesTest {
  @Test
  void stripsConnectionListedAndHopByHopFieldsOnly() {
    HttpHeaders h = new DefaultHttpHeaders();
    h.add("Connection", "close, X-Session-Private ,x-other");
    h.add("X-Session-Private", "1")
        .add("x-other", "2")
        .add("Keep-Alive", "timeout=5")
        .add("TE", "trailers");
    h.add("Trailer", "x")
        .add("Upgrade", "h2c")
        .add("Proxy-Authorization", "Basic")
        .add("proxy-foo", "1");
    h.add("X-Kept", "yes").add("Transfer-Encoding", "chunked").add("Proxyish", "kept");
    HopByHop.strip(NettyHeaders.of(h));
    assertThat(h.names()).containsExactlyInAnyOrder("X-Kept", "Transfer-Encoding", "Proxyish");
  }

  @ParameterizedTest
  @CsvSource({
    "/a/b, /a/b",
    "/a/b?x=1, /a/b",
    "/a#frag, /a",
    "http://host:8080/p/q?z, /p/q",
    "http://host, /",
    "*, *",
  })
  void pathOfTheRequestTarget(String uri, String path) {
    assertThat(RequestTargets.pathOf(uri)).isEqualTo(path);
  }

  @Test
  void headResponseKeepsFramingHeadersButWritesNoChunkTerminator() {
    ProxyResponseEncoder encoder = new ProxyResponseEncoder();
    EmbeddedChannel ch = new EmbeddedChannel(encoder);
    DefaultHttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set("transfer-encoding", "chunked");
    encoder.nextResponseAnswersHead(true);
    ch.writeOutbound(head, LastHttpContent.EMPTY_LAST_CONTENT);
    String wire = drain(ch);
    assertThat(wire).isEqualTo("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n");

    DefaultHttpResponse get = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    get.headers().set("transfer-encoding", "chunked");
    encoder.nextResponseAnswersHead(false);
    ch.writeOutbound(get, LastHttpContent.EMPTY_LAST_CONTENT);
    assertThat(drain(ch)).endsWith("\r\n\r\n0\r\n\r\n");
    assertFalse(ch.finishAndReleaseAll());
  }

  private static String drain(EmbeddedChannel ch) {
    StringBuilder sb = new StringBuilder();
    ByteBuf buf;
    while ((buf = ch.readOutbound()) != null) {
      sb.append(buf.toString(StandardCharsets.US_ASCII));
      buf.release();
    }
    return sb.toString();
  }
}
