package io.canaryproxy.config;

import java.nio.file.Path;

/**
 * Admin listener.
 *
 * @param listen default {@code 127.0.0.1:9901}; a non-loopback address requires {@code tokenFile}
 * @param tokenFile file holding the bearer token for mutating calls, or {@code null}
 */
public record AdminConfig(HostPort listen, Path tokenFile) {}
