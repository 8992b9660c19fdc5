package io.canaryproxy.server.http2;

import io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2HeadersEncoder;
import io.netty.handler.codec.http2.Http2PromisedRequestVerifier;
import io.netty.handler.codec.http2.StreamBufferingEncoder;

/**
 * The decoder and encoder of an HTTP/2 connection handler, made here rather than by Netty's
 * builder, which makes its own frame writer and takes no other: frames are written by {@link
 * Http2FrameWriterLean}. The rest is what the builder made from the same settings: a frame reader
 * whose HPACK decoder validates fields and bounds the header list, Netty's connection encoder and
 * decoder, the encoder's limits ({@link Http2OutboundLimits}) and, on a backend connection, a
 * {@link StreamBufferingEncoder} that holds streams past the peer's limit. The builder still puts
 * the decoder's limits (empty DATA frames, RST_STREAM frames received) around the decoder.
 *
 * @param decoder the connection's decoder, which reads through {@code encoder}'s limits
 * @param encoder the connection's encoder, outermost decorator first
 */
record Http2Codec(Http2ConnectionDecoder decoder, Http2ConnectionEncoder encoder) {
  /**
   * RST_STREAM frames the proxy may send for errors per {@link #SENT_RESET_WINDOW_SECONDS}: Netty's
   * builder's default, which it applied to both sides (it counts a handler as a server's unless
   * told otherwise).
   */
  static final int MAX_SENT_RESETS = 200;

  /** The window of {@link #MAX_SENT_RESETS}, in seconds: Netty's builder's default. */
  static final int SENT_RESET_WINDOW_SECONDS = 30;

  /**
   * The CONTINUATION frames in a row below a size that a backend may send, Netty's default (the
   * listener's is {@code limits.http2.maxSmallContinuationFrames}).
   */
  static final int BACKEND_SMALL_CONTINUATION_FRAMES = 16;

  /**
   * A connection's codec.
   *
   * @param connection the connection's state ({@link Http2Limits#newConnection})
   * @param maxHeaderListBytes the largest decoded header list the peer may send, in bytes (the
   *     SETTINGS_MAX_HEADER_LIST_SIZE the handler announces)
   * @param maxSmallContinuationFrames CONTINUATION frames in a row below a size, at most
   * @param maxQueuedControlFrames answers to the peer queued unwritten, at most ({@link
   *     Http2OutboundLimits})
   * @param holdStreamsPastLimit true on a backend connection: streams past the peer's
   *     SETTINGS_MAX_CONCURRENT_STREAMS wait for a slot rather than fail
   */
  static Http2Codec of(
      Http2Connection connection,
      long maxHeaderListBytes,
      int maxSmallContinuationFrames,
      int maxQueuedControlFrames,
      boolean holdStreamsPastLimit) {
    DefaultHttp2FrameReader reader =
        new DefaultHttp2FrameReader(
            new DefaultHttp2HeadersDecoder(true, maxHeaderListBytes), maxSmallContinuationFrames);
    Http2FrameWriterLean writer =
        new Http2FrameWriterLean(
            new DefaultHttp2HeadersEncoder(Http2HeadersEncoder.NEVER_SENSITIVE));
    Http2ConnectionEncoder encoder =
        new Http2OutboundLimits(
            new DefaultHttp2ConnectionEncoder(connection, writer),
            maxQueuedControlFrames,
            MAX_SENT_RESETS,
            SENT_RESET_WINDOW_SECONDS,
            System::nanoTime);
    if (holdStreamsPastLimit) {
      encoder = new StreamBufferingEncoder(encoder);
    }
    Http2ConnectionDecoder decoder =
        new DefaultHttp2ConnectionDecoder(
            connection,
            encoder,
            reader,
            Http2PromisedRequestVerifier.ALWAYS_VERIFY,
            true, // SETTINGS acknowledged by the codec
            true, // PING acknowledged by the codec
            true, // fields validated (RFC 9113 §8.2)
            false);
    return new Http2Codec(decoder, encoder);
  }
}
