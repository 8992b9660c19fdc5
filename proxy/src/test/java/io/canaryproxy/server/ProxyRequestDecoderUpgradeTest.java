package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** How the client decoder holds, resumes and passes through the bytes after an upgrade request. */
class ProxyRequestDecoderUpgradeTest {
  private static final String UPGRADE =
      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  private static final String NEXT = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";

  private final ProxyRequestDecoder decoder =
      new ProxyRequestDecoder(new HttpDecoderConfig(), 0, 0);
  private final EmbeddedChannel ch = new EmbeddedChannel(decoder);

  private void write(String s) {
    ch.writeInbound(Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1));
  }

  private String readRequestTarget() {
    Object head = ch.readInbound();
    assertThat(head).isInstanceOf(HttpRequest.class);
    Object end = ch.readInbound();
    assertThat(end).isInstanceOf(LastHttpContent.class);
    ReferenceCountUtil.release(end);
    return ((HttpRequest) head).uri();
  }

  private String readRaw() {
    ByteBuf raw = ch.readInbound();
    try {
      return raw.toString(StandardCharsets.ISO_8859_1);
    } finally {
      raw.release();
    }
  }

  @Test
  void bytesAfterAnUpgradeRequestAreHeldThenPassedThroughRaw() {
    write(UPGRADE + NEXT);
    assertThat(readRequestTarget()).isEqualTo("/ws");
    assertThat((Object) ch.readInbound()).isNull(); // NEXT is not parsed while the answer is due
    assertThat(decoder.holding()).isTrue();

    decoder.passThrough();
    assertThat(readRaw()).isEqualTo(NEXT);
    write("\u0081\u0002hi");
    assertThat(readRaw()).isEqualTo("\u0081\u0002hi");
    assertThat(decoder.holding()).isFalse();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void whenTheUpgradeIsDeclinedTheHeldBytesAreTheNextRequest() {
    write(UPGRADE + NEXT);
    assertThat(readRequestTarget()).isEqualTo("/ws");
    assertThat((Object) ch.readInbound()).isNull();

    decoder.resume();
    assertThat(decoder.holding()).isFalse();
    assertThat(readRequestTarget()).isEqualTo("/next");
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }

  @Test
  void anOrdinaryRequestHoldsNothing() {
    write(NEXT + NEXT);
    assertThat(readRequestTarget()).isEqualTo("/next");
    assertThat(readRequestTarget()).isEqualTo("/next");
    assertThat(decoder.holding()).isFalse();
    assertThat(ch.finishAndReleaseAll()).isFalse();
  }
}
