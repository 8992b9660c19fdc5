package io.canaryproxy.server.http2;

import io.canaryproxy.config.Http2LimitsConfig;
import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ForwardingContext;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.AbstractHttp2ConnectionHandlerBuilder;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2RemoteFlowController;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.UniformStreamByteDistributor;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * The HTTP/2 settings and protections of the listener ({@code limits.http2}, and {@code
 * limits.maxHeaderBytes} as the header list size), and the connection handler that enforces them.
 * Netty's connection handler does the enforcing; a client past a flood limit gets GOAWAY, which
 * {@link Http2ClientConnectionHandler} counts by {@link Http2Abuse} type.
 *
 * @param config the {@code limits.http2} section
 * @param maxHeaderListBytes the largest HPACK-decoded header list a client may send (a larger one
 *     is answered 431, a much larger one ends the connection)
 */
public record Http2Limits(Http2LimitsConfig config, int maxHeaderListBytes) {

  /** The listener's limits, from the {@code limits} section. */
  public static Http2Limits of(LimitsConfig limits) {
    return new Http2Limits(limits.http2(), limits.maxHeaderBytes());
  }

  /** The connection's flow-control window, in bytes. */
  public int connectionWindowBytes() {
    return config.connectionWindowBytes();
  }

  /**
   * The handler of one HTTP/2 client connection, enforcing these limits; its streams are served by
   * {@code fc} under the request {@code limits}, with {@code bodyTimeoutNanos} ({@code
   * timeouts.requestBody}) as the longest pause of a request body.
   */
  public Http2ClientConnectionHandler clientHandler(
      ForwardingContext fc, LimitsConfig limits, long bodyTimeoutNanos) {
    return new ServerBuilder(this, fc, limits, bodyTimeoutNanos).build();
  }

  /**
   * Netty's builder, for the listener's side of a connection and this project's handler, with the
   * project's codec ({@link Http2Codec}).
   */
  private static final class ServerBuilder
      extends AbstractHttp2ConnectionHandlerBuilder<Http2ClientConnectionHandler, ServerBuilder> {
    private final ForwardingContext fc;
    private final LimitsConfig limits;
    private final int connectionWindowBytes;
    private final long bodyTimeoutNanos;

    ServerBuilder(
        Http2Limits h2, ForwardingContext fc, LimitsConfig limits, long bodyTimeoutNanos) {
      this.fc = fc;
      this.limits = limits;
      this.connectionWindowBytes = h2.connectionWindowBytes();
      this.bodyTimeoutNanos = bodyTimeoutNanos;
      Http2LimitsConfig config = h2.config();
      initialSettings(
          Http2Settings.defaultSettings()
              .maxConcurrentStreams(config.maxConcurrentStreams())
              .headerTableSize(config.headerTableBytes())
              .maxHeaderListSize(h2.maxHeaderListBytes())
              .initialWindowSize(config.streamWindowBytes()));
      decoderEnforceMaxRstFramesPerWindow(
          config.maxResets(), (int) Math.max(1, config.resetWindow().toSeconds()));
      decoderEnforceMaxConsecutiveEmptyDataFrames(config.maxEmptyFrames());
      // The codec last: the builder takes no decoder limit once it has one. The header list size,
      // CONTINUATION and control-frame limits are the codec's own (Http2Codec).
      Http2Codec codec =
          Http2Codec.of(
              newConnection(true),
              h2.maxHeaderListBytes(),
              config.maxSmallContinuationFrames(),
              config.maxQueuedControlFrames(),
              false);
      codec(codec.decoder(), codec.encoder());
    }

    @Override
    protected Http2ClientConnectionHandler build() {
      return super.build();
    }

    @Override
    protected Http2ClientConnectionHandler build(
        Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder, Http2Settings settings) {
      return new Http2ClientConnectionHandler(
          decoder, encoder, settings, fc, limits, connectionWindowBytes, bodyTimeoutNanos);
    }
  }

  /**
   * A new connection's state ({@code server} for the listener's side) whose outbound bytes are
   * shared between the streams that have some to send by {@link UniformStreamByteDistributor}, not
   * Netty's default weighted-fair tree: the proxy sets no priorities (RFC 9113 §5.3 deprecated
   * them) and a tree node per stream costs more to keep than its queue.
   */
  static Http2Connection newConnection(boolean server) {
    Http2Connection c = new DefaultHttp2Connection(server);
    c.remote()
        .flowController(
            new DefaultHttp2RemoteFlowController(c, new UniformStreamByteDistributor(c)));
    return c;
  }

  /**
   * Merges the flushes of an HTTP/2 connection's streams into one socket write per event-loop turn,
   * placed between the socket (or TLS) and the HTTP/2 handler. Each stream flushes the connection
   * on every response end and window update (on a backend connection, every request); when the
   * connection is not reading (a response arrives from a backend, a request goes to one), each such
   * flush would be a write system call of its own. A flush is never dropped, only delayed until the
   * current read ends or the event loop's next task: a WINDOW_UPDATE still leaves.
   */
  public static FlushConsolidationHandler flushConsolidation() {
    return new FlushConsolidationHandler(
        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
  }

  /**
   * Copies the small buffers of an HTTP/2 connection's frames into one buffer per flush ({@link
   * Http2WriteBatchHandler}), placed between the HTTP/2 handler and {@link #flushConsolidation}:
   * one outbound entry and one iovec per batch instead of two per frame.
   */
  public static ChannelHandler writeBatch() {
    return new Http2WriteBatchHandler();
  }

  /**
   * Makes {@code channel}'s small {@code buffer(...)} allocations heap buffers ({@link
   * Http2FrameAllocator}): the frame writer takes one or two per frame, which the write batch
   * copies and releases at once. Reads, the batch and larger buffers stay pooled. Once per
   * connection.
   */
  public static void useFrameAllocator(Channel channel) {
    ByteBufAllocator current = channel.config().getAllocator();
    if (!(current instanceof Http2FrameAllocator)) {
      channel.config().setAllocator(new Http2FrameAllocator(current));
    }
  }

  /**
   * Opens a connection's receive window from the protocol's 65,535 bytes to {@code bytes} (one
   * WINDOW_UPDATE on stream 0), so that one stalled stream does not stall the others; once, after
   * the preface.
   */
  static void openConnectionWindow(
      Http2ConnectionHandler handler, ChannelHandlerContext ctx, int bytes) throws Http2Exception {
    int increment = bytes - Http2CodecUtil.DEFAULT_WINDOW_SIZE;
    if (increment > 0) {
      Http2Connection c = handler.connection();
      c.local().flowController().incrementWindowSize(c.connectionStream(), increment);
      handler.flush(ctx);
    }
  }
}
