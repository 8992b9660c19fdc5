package io.canaryproxy.server.http2;

import io.canaryproxy.config.Http2LimitsConfig;
import io.canaryproxy.config.LimitsConfig;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.flush.FlushConsolidationHandler;

/**
 * The HTTP/2 settings and protections of the listener ({@code limits.http2}, and {@code
 * limits.maxHeaderBytes} as the header list size), and the frame codec that enforces them. Netty's
 * codec does the enforcing; a client past a flood limit gets GOAWAY, which {@link
 * Http2ClientConnectionHandler} counts by {@link Http2Abuse} type.
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

  /** A server frame codec enforcing these limits. */
  public Http2FrameCodec frameCodec() {
    Http2Settings settings =
        Http2Settings.defaultSettings()
            .maxConcurrentStreams(config.maxConcurrentStreams())
            .headerTableSize(config.headerTableBytes())
            .maxHeaderListSize(maxHeaderListBytes)
            .initialWindowSize(config.streamWindowBytes());
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(settings)
        .validateHeaders(true)
        .decoderEnforceMaxRstFramesPerWindow(
            config.maxResets(), (int) Math.max(1, config.resetWindow().toSeconds()))
        .encoderEnforceMaxQueuedControlFrames(config.maxQueuedControlFrames())
        .decoderEnforceMaxConsecutiveEmptyDataFrames(config.maxEmptyFrames())
        .decoderEnforceMaxSmallContinuationFrames(config.maxSmallContinuationFrames())
        .build();
  }

  /**
   * Merges the flushes of an HTTP/2 connection's streams into one socket write per event-loop turn,
   * placed between the socket (or TLS) and the frame codec. A stream channel flushes its parent on
   * every response end, window update and request it sends; when the parent is not reading (a
   * response arrives from a backend, a request goes to one), each such flush would be a write
   * system call of its own. A flush is never dropped, only delayed until the current read ends or
   * the event loop's next task: a WINDOW_UPDATE still leaves (see {@code
   * Http2BackendAdapter#read}).
   */
  public static FlushConsolidationHandler flushConsolidation() {
    return new FlushConsolidationHandler(
        FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true);
  }
}
