package io.canaryproxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;

/**
 * Tells HTTP/2 from HTTP/1.x on one listener by the first bytes a client sends (after TLS, if any):
 * the HTTP/2 connection preface {@code PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n} (RFC 9113 §3.4), which no
 * HTTP/1 request starts with, selects HTTP/2, both for cleartext prior knowledge ({@code h2c}) and
 * for TLS after ALPN {@code h2}. Anything else stays HTTP/1. It holds {@code channelActive} back
 * until the protocol is known, so that only the handlers that serve the connection ever see it,
 * then removes itself and hands on the bytes it read.
 */
final class PrefaceDetectHandler extends ByteToMessageDecoder {
  private static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private final Consumer<ChannelPipeline> toHttp2;

  /**
   * @param toHttp2 puts the HTTP/2 handlers in place of the HTTP/1 ones
   */
  PrefaceDetectHandler(Consumer<ChannelPipeline> toHttp2) {
    this.toHttp2 = toHttp2;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    // Held back: fired once the protocol is known (see decide).
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int n = Math.min(in.readableBytes(), PREFACE.length);
    int start = in.readerIndex();
    for (int i = 0; i < n; i++) {
      if (in.getByte(start + i) != PREFACE[i]) {
        decide(ctx, false);
        return;
      }
    }
    if (n == PREFACE.length) {
      decide(ctx, true);
    }
  }

  private void decide(ChannelHandlerContext ctx, boolean http2) {
    if (http2) {
      toHttp2.accept(ctx.pipeline());
    }
    ctx.fireChannelActive();
    // Removal hands the bytes read so far (the preface included) to the chosen handlers.
    ctx.pipeline().remove(this);
  }
}
