package io.canaryproxy.config;

import java.time.Duration;

/**
 * The {@code timeouts} section.
 *
 * @param connect backend connect; default 2s (answered 504 when it expires)
 * @param response longest wait for the backend to send anything while a response is due and the
 *     proxy reads it (not while it waits for a slow client); default 30s (504)
 * @param clientIdle a client connection with no request in progress is closed after this (checked
 *     eight times per timeout: between this and an eighth more after its last read or write), and a
 *     client that takes no byte of a response for this long is cut off; default 60s
 * @param requestHeader a started request's headers must arrive within this; default 10s (408)
 * @param backendIdle an idle pooled backend connection is closed after this (between this and an
 *     eighth more after its last read); default 60s
 * @param requestBody longest pause between two reads of a request body while the proxy is reading
 *     it; default 30s (408 and close)
 * @param tunnelIdle a WebSocket (or other {@code Upgrade}) tunnel with no byte in either direction
 *     for this long is closed; default 1h
 */
public record TimeoutsConfig(
    Duration connect,
    Duration response,
    Duration clientIdle,
    Duration requestHeader,
    Duration backendIdle,
    Duration requestBody,
    Duration tunnelIdle) {
  /** The default for {@link #requestBody}. */
  public static final Duration DEFAULT_REQUEST_BODY = Duration.ofSeconds(30);

  /** The default for {@link #tunnelIdle}. */
  public static final Duration DEFAULT_TUNNEL_IDLE = Duration.ofHours(1);

  /** The first six timeouts, with the default {@link #tunnelIdle}. */
  public TimeoutsConfig(
      Duration connect,
      Duration response,
      Duration clientIdle,
      Duration requestHeader,
      Duration backendIdle,
      Duration requestBody) {
    this(
        connect,
        response,
        clientIdle,
        requestHeader,
        backendIdle,
        requestBody,
        DEFAULT_TUNNEL_IDLE);
  }

  /** The first five timeouts, with the default {@link #requestBody}. */
  public TimeoutsConfig(
      Duration connect,
      Duration response,
      Duration clientIdle,
      Duration requestHeader,
      Duration backendIdle) {
    this(connect, response, clientIdle, requestHeader, backendIdle, DEFAULT_REQUEST_BODY);
  }
}
