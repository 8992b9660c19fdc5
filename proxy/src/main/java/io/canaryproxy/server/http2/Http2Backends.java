package io.canaryproxy.server.http2;

import io.canaryproxy.config.Http2LimitsConfig;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;

/**
 * The parts of an HTTP/2 backend connection ({@code backends.NAME.protocol: h2c | h2}): a client
 * frame codec that queues streams past the peer's limit rather than failing them, the stream
 * multiplexer, the connection events for the pool, and per stream the {@link Http2BackendAdapter}.
 * The pipeline builder puts them in order; this class only makes them.
 *
 * @param limits the stream and connection windows (as on the listener), in bytes
 * @param maxHeaderListBytes the largest response header list a backend may send
 * @param pingTimeoutMillis how long a backend may take to answer the PING sent when a stream was
 *     given up before its end (the connect timeout), in ms; then its connection is closed
 */
public record Http2Backends(
    Http2LimitsConfig limits, int maxHeaderListBytes, long pingTimeoutMillis) {

  /** A client frame codec: no server push, bounded windows and header lists. */
  public Http2FrameCodec frameCodec() {
    Http2Settings settings =
        Http2Settings.defaultSettings()
            .pushEnabled(false)
            .maxHeaderListSize(maxHeaderListBytes)
            .initialWindowSize(limits.streamWindowBytes());
    return Http2FrameCodecBuilder.forClient()
        .initialSettings(settings)
        .validateHeaders(true)
        // A stream over SETTINGS_MAX_CONCURRENT_STREAMS waits for a slot instead of failing: the
        // pool opens streams before the peer's first SETTINGS says how many it takes.
        .encoderEnforceMaxConcurrentStreams(true)
        .build();
  }

  /** The stream multiplexer; a backend may not open streams (push is off), so none are taken. */
  public Http2MultiplexHandler multiplexer() {
    return new Http2MultiplexHandler(new RefuseInbound());
  }

  /** The handler telling the pool of the peer's SETTINGS and GOAWAY, and checking liveness. */
  public ChannelHandler connectionEvents() {
    return new Http2BackendConnectionHandler(limits.connectionWindowBytes(), pingTimeoutMillis);
  }

  /** The adapter of a new stream on {@code parent}, which names {@code https} when on TLS. */
  public ChannelHandler streamAdapter(Channel parent) {
    return new Http2BackendAdapter(
        parent.pipeline().get(SslHandler.class) != null,
        parent.pipeline().get(Http2BackendConnectionHandler.class));
  }

  /** Closes a stream the backend opened: with push disabled there should be none. */
  @ChannelHandler.Sharable
  private static final class RefuseInbound extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }
}
