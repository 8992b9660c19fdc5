package io.canaryproxy.config;

import java.time.Duration;

/**
 * The {@code limits.http2} section: what one HTTP/2 client connection may do. A client that goes
 * past one of the flood limits gets GOAWAY and its connection is closed; other connections are not
 * affected. The header list size of an HTTP/2 request is {@code limits.maxHeaderBytes}.
 *
 * @param maxConcurrentStreams streams a client may have open at once
 *     (SETTINGS_MAX_CONCURRENT_STREAMS; more are refused); 1..10000, default 100
 * @param headerTableBytes the HPACK dynamic table the client's encoder may use
 *     (SETTINGS_HEADER_TABLE_SIZE); 0..1MiB, default 4KiB
 * @param maxResets rapid reset (CVE-2023-44487): streams a client may reset within {@code
 *     resetWindow}; 1..1000000, default 200
 * @param resetWindow the window of {@code maxResets}; default 30s
 * @param maxQueuedControlFrames SETTINGS and PING acknowledgements (and other control frames)
 *     queued for a client that does not read them; 1..1000000, default 10000
 * @param maxEmptyFrames consecutive DATA frames with no payload and no END_STREAM; 1..1000, default
 *     2
 * @param maxSmallContinuationFrames CONTINUATION frames in a row that carry almost nothing (a
 *     CONTINUATION flood); 1..1000, default 16
 * @param streamWindowBytes flow-control window of each stream: request body a client may send
 *     before the backend took it; 16KiB..16MiB, default 64KiB
 * @param connectionWindowBytes flow-control window of the connection, across its streams; at least
 *     streamWindowBytes, at most 1GiB, default 1MiB
 */
public record Http2LimitsConfig(
    int maxConcurrentStreams,
    int headerTableBytes,
    int maxResets,
    Duration resetWindow,
    int maxQueuedControlFrames,
    int maxEmptyFrames,
    int maxSmallContinuationFrames,
    int streamWindowBytes,
    int connectionWindowBytes) {

  /** The documented defaults. */
  public static Http2LimitsConfig defaults() {
    return new Http2LimitsConfig(
        100, 4096, 200, Duration.ofSeconds(30), 10_000, 2, 16, 64 << 10, 1 << 20);
  }

  /** The section at {@code m} ({@code limits.http2}); errors name their YAML path. */
  static Http2LimitsConfig parse(YamlMap m) {
    Http2LimitsConfig d = defaults();
    int stream = (int) m.size("streamWindowBytes", d.streamWindowBytes, 16 << 10, 16 << 20);
    Duration window = m.duration("resetWindow", d.resetWindow, true);
    if (window.toSeconds() < 1 && m.has("resetWindow")) {
      m.invalid("resetWindow", "at least 1s");
    }
    return new Http2LimitsConfig(
        (int) m.integer("maxConcurrentStreams", d.maxConcurrentStreams, 1, 10_000),
        (int) m.size("headerTableBytes", d.headerTableBytes, 0, 1 << 20),
        (int) m.integer("maxResets", d.maxResets, 1, 1_000_000),
        window,
        (int) m.integer("maxQueuedControlFrames", d.maxQueuedControlFrames, 1, 1_000_000),
        (int) m.integer("maxEmptyFrames", d.maxEmptyFrames, 1, 1000),
        (int) m.integer("maxSmallContinuationFrames", d.maxSmallContinuationFrames, 1, 1000),
        stream,
        (int) m.size("connectionWindowBytes", d.connectionWindowBytes, stream, 1L << 30));
  }
}
