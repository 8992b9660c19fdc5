package io.canaryproxy.config;

import java.time.Duration;

/**
 * The {@code timeouts} section.
 *
 * @param connect backend connect; default 2s (answered 504 when it expires)
 * @param response longest wait for the backend to send anything while a response is due; default
 *     30s (504)
 * @param clientIdle a client connection with no request in progress is closed after this; default
 *     60s
 * @param requestHeader a started request's headers must arrive within this; default 10s (408)
 * @param backendIdle an idle pooled backend connection is closed after this; default 60s
 */
public record TimeoutsConfig(
    Duration connect,
    Duration response,
    Duration clientIdle,
    Duration requestHeader,
    Duration backendIdle) {}
