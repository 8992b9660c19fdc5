package io.canaryproxy.config;

import java.nio.file.Path;

/**
 * Admin listener. Off loopback every endpoint but {@code /healthz} and {@code /readyz} needs a
 * bearer token (and {@code /metrics} too, unless {@code publicMetrics}).
 *
 * @param listen default {@code 127.0.0.1:9901}; a non-loopback address requires {@code tokenFile}
 * @param tokenFile file holding the control token, which allows every call, or {@code null}
 * @param readTokenFile file holding a token that allows reads but not mutations (403), or {@code
 *     null}; needs {@code tokenFile}
 * @param publicMetrics serve {@code /metrics} without a token off loopback, for scrapers that
 *     cannot send one; default false
 */
public record AdminConfig(
    HostPort listen, Path tokenFile, Path readTokenFile, boolean publicMetrics) {

  /** A listener with at most a control token, no read token and no public metrics. */
  public AdminConfig(HostPort listen, Path tokenFile) {
    this(listen, tokenFile, null, false);
  }

  /**
   * The tokens read from the token files; {@code null} where no file is configured. {@link
   * #toString()} never shows them.
   */
  public record Tokens(String control, String read) {
    @Override
    public String toString() {
      return "Tokens[control="
          + (control == null ? "none" : "<redacted>")
          + ", read="
          + (read == null ? "none" : "<redacted>")
          + "]";
    }
  }
}
