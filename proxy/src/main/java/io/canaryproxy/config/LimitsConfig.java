package io.canaryproxy.config;

/**
 * The {@code limits} section.
 *
 * @param maxRequestLineBytes longer request lines get 414; default 8 KiB
 * @param maxHeaderBytes larger header sections get 431; default 16 KiB
 * @param maxHeaders more header fields get 431; default 100
 * @param maxBodyBytes larger request bodies get 413; default 100 MiB
 * @param requestBufferBytes a request body is read into memory up to this many bytes before a
 *     backend connection is taken for it, so that a slow client holds no backend connection while
 *     it sends a small body; 0 streams at once; default 64 KiB
 * @param http2 the {@code limits.http2} section: what one HTTP/2 client connection may do
 * @param maxClientConnections client connections open at once; past it a new one is closed as soon
 *     as it is accepted, and counted; default {@link #defaultMaxClientConnections()}
 */
public record LimitsConfig(
    int maxRequestLineBytes,
    int maxHeaderBytes,
    int maxHeaders,
    long maxBodyBytes,
    int requestBufferBytes,
    Http2LimitsConfig http2,
    int maxClientConnections) {
  /** The default for {@link #requestBufferBytes}. */
  public static final int DEFAULT_REQUEST_BUFFER_BYTES = 64 << 10;

  /**
   * Heap budgeted per client connection by {@link #defaultMaxClientConnections()}: an idle one
   * takes about 4 KiB of heap (README, "Sizing"), so idle connections alone fill at most a quarter
   * of the heap and the rest is left to the requests they carry.
   */
  static final long HEAP_PER_CLIENT_CONNECTION = 16 << 10;

  /** The largest {@link #maxClientConnections} accepted. */
  public static final int MAX_CLIENT_CONNECTIONS = 1_000_000;

  /**
   * The default of {@code limits.maxClientConnections}: the JVM's maximum heap / 16 KiB, at least
   * 256 and at most 1,000,000 (about 3,000 with the sidecar's {@code -Xmx48m}, 16,000 with a 256
   * MiB heap).
   */
  public static int defaultMaxClientConnections() {
    long n = Runtime.getRuntime().maxMemory() / HEAP_PER_CLIENT_CONNECTION;
    return (int) Math.max(256, Math.min(MAX_CLIENT_CONNECTIONS, n));
  }

  /** The first six limits, with the default {@link #maxClientConnections}. */
  public LimitsConfig(
      int maxRequestLineBytes,
      int maxHeaderBytes,
      int maxHeaders,
      long maxBodyBytes,
      int requestBufferBytes,
      Http2LimitsConfig http2) {
    this(
        maxRequestLineBytes,
        maxHeaderBytes,
        maxHeaders,
        maxBodyBytes,
        requestBufferBytes,
        http2,
        defaultMaxClientConnections());
  }

  /** The first five limits, with the default {@link #http2} section. */
  public LimitsConfig(
      int maxRequestLineBytes,
      int maxHeaderBytes,
      int maxHeaders,
      long maxBodyBytes,
      int requestBufferBytes) {
    this(
        maxRequestLineBytes,
        maxHeaderBytes,
        maxHeaders,
        maxBodyBytes,
        requestBufferBytes,
        Http2LimitsConfig.defaults());
  }

  /** The first four limits, with the default {@link #requestBufferBytes}. */
  public LimitsConfig(
      int maxRequestLineBytes, int maxHeaderBytes, int maxHeaders, long maxBodyBytes) {
    this(
        maxRequestLineBytes,
        maxHeaderBytes,
        maxHeaders,
        maxBodyBytes,
        DEFAULT_REQUEST_BUFFER_BYTES);
  }
}
