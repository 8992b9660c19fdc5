package io.canaryproxy.config;

import java.nio.file.Path;

/**
 * The {@code accessLog} section: one JSON line per request, written asynchronously.
 *
 * @param enabled default false
 * @param path file to append to, or {@code null} for standard output
 * @param sampleRate 0..1 share of requests logged; default 1
 * @param logUserKey include the user key; default false
 */
public record AccessLogConfig(boolean enabled, Path path, double sampleRate, boolean logUserKey) {}
