package io.canaryproxy.config;

import java.time.Duration;

/**
 * The {@code drain} section: graceful shutdown on SIGTERM.
 *
 * @param delay keep serving after /readyz turns 503; default 5s
 * @param timeout longest wait for in-flight requests after the listener closes; default 20s
 */
public record DrainConfig(Duration delay, Duration timeout) {}
