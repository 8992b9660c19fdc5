package io.canaryproxy.server.http2;

import io.canaryproxy.config.LimitsConfig;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Settings;

/**
 * The HTTP/2 settings and protections of the listener, and the frame codec built with them.
 *
 * @param maxConcurrentStreams streams a client may have open at once (SETTINGS)
 * @param maxHeaderListBytes the largest header list a client may send, HPACK-decoded (SETTINGS;
 *     larger gets 431), from {@code limits.maxHeaderBytes}
 * @param streamWindowBytes the flow-control window of each stream: what a client may send on a
 *     stream before the backend took it
 * @param connectionWindowBytes the flow-control window of the connection, across its streams
 */
public record Http2Limits(
    int maxConcurrentStreams,
    int maxHeaderListBytes,
    int streamWindowBytes,
    int connectionWindowBytes) {

  /** The listener's limits, from the {@code limits} section. */
  public static Http2Limits of(LimitsConfig limits) {
    return new Http2Limits(100, limits.maxHeaderBytes(), 65_535, 1 << 20);
  }

  /** A server frame codec enforcing these limits. */
  public Http2FrameCodec frameCodec() {
    Http2Settings settings =
        Http2Settings.defaultSettings()
            .maxConcurrentStreams(maxConcurrentStreams)
            .maxHeaderListSize(maxHeaderListBytes)
            .initialWindowSize(streamWindowBytes);
    return Http2FrameCodecBuilder.forServer()
        .initialSettings(settings)
        .validateHeaders(true)
        .build();
  }
}
