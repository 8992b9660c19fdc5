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
 */
public record LimitsConfig(
    int maxRequestLineBytes,
    int maxHeaderBytes,
    int maxHeaders,
    long maxBodyBytes,
    int requestBufferBytes,
    Http2LimitsConfig http2) {
  /** The default for {@link #requestBufferBytes}. */
  public static final int DEFAULT_REQUEST_BUFFER_BYTES = 64 << 10;

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
