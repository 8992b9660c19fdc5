package io.canaryproxy.server.http1;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.DuplexChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Closes a client connection after an answer that ends it while the client may still be sending (a
 * rejected request, a request whose body was not read), without losing that answer.
 *
 * <p>Closing a TCP socket that still has unread received bytes makes the kernel send a reset
 * instead of a FIN, and a reset can destroy the answer in the client's receive buffer before the
 * client reads it: the client then sees "connection reset" instead of the 400 or 413 it was sent.
 * So, as nginx's {@code lingering_close} does, the connection is half-closed: the answer is
 * flushed, the write side is shut (after TLS {@code close_notify} on a TLS connection), and
 * whatever the client still sends is read and discarded, until the client closes, {@link
 * #LINGER_MILLIS} pass or {@link #MAX_DISCARDED_BYTES} were discarded; then the connection is
 * closed.
 */
final class LingeringClose extends ChannelInboundHandlerAdapter {
  /** How long a client is given to close after the answer, as nginx's lingering_timeout (5 s). */
  static final long LINGER_MILLIS = 5_000;

  /** How many bytes are discarded at most before the connection is closed anyway. */
  static final long MAX_DISCARDED_BYTES = 1 << 20;

  private static final String NAME = "lingeringClose";

  private long discarded;
  private ScheduledFuture<?> deadline;

  private LingeringClose() {}

  /**
   * Flushes what was written to {@code channel}, then closes it as described above. Stops handing
   * anything read from it to the handlers behind the head of the pipeline.
   */
  static void closeAfterFlush(Channel channel) {
    channel
        .writeAndFlush(Unpooled.EMPTY_BUFFER)
        .addListener(
            (ChannelFuture flushed) -> {
              if (flushed.isSuccess() && channel.isActive() && channel instanceof DuplexChannel) {
                linger((DuplexChannel) channel);
              } else {
                channel.close();
              }
            });
  }

  private static void linger(DuplexChannel channel) {
    if (channel.pipeline().get(NAME) != null) {
      return;
    }
    LingeringClose discard = new LingeringClose();
    // First in the pipeline: what arrives now is discarded as raw bytes, before TLS or HTTP
    // decoding.
    channel.pipeline().addFirst(NAME, discard);
    discard.deadline =
        channel.eventLoop().schedule(() -> channel.close(), LINGER_MILLIS, TimeUnit.MILLISECONDS);
    SslHandler tls = channel.pipeline().get(SslHandler.class);
    ChannelFuture outboundClosed = tls != null ? tls.closeOutbound() : channel.newSucceededFuture();
    outboundClosed.addListener(
        closed -> {
          if (!closed.isSuccess() || !channel.isActive()) {
            channel.close();
            return;
          }
          channel
              .shutdownOutput()
              .addListener(
                  (ChannelFuture shut) -> {
                    if (!shut.isSuccess()) {
                      channel.close();
                    }
                  });
        });
    channel.config().setAutoRead(true);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf bytes) {
      discarded += bytes.readableBytes();
    }
    ReferenceCountUtil.release(msg);
    if (discarded > MAX_DISCARDED_BYTES) {
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Nothing reaches the handlers behind: no decoder or forwarder runs for discarded bytes.
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    if (deadline != null) {
      deadline.cancel(false);
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
