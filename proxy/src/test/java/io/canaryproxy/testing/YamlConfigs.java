package io.canaryproxy.testing;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;

/**
 * Proxy configs for the framing tests, written as YAML and read by {@link ConfigLoader}, so the
 * tests depend on the documented keys rather than on the shape of the config records.
 */
public final class YamlConfigs {
  private YamlConfigs() {}

  /**
   * One event loop; stable and canary both on {@code endpoint} with at most {@code maxConnections}
   * connections; loopback clients untrusted with {@code x-canary}; {@code extraYaml} adds top-level
   * sections such as {@code timeouts:} or {@code limits:}.
   */
  public static ProxyConfig oneBackend(String endpoint, int maxConnections, String extraYaml) {
    String backend =
        "{ endpoints: [\"" + endpoint + "\"], maxConnections: " + maxConnections + " }";
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: " + backend,
            "  canary: " + backend,
            "routing:",
            "  userKey:",
            "    - header: x-user-id",
            "  canaryPercent: 0",
            "  salt: \"framing-salt\"",
            "  override:",
            "    header: x-canary",
            "    trustedCidrs: [\"10.255.255.255/32\"]",
            extraYaml,
            "");
    try {
      return ConfigLoader.parse(yaml);
    } catch (Exception e) {
      throw new IllegalStateException("test config does not load:\n" + yaml, e);
    }
  }
}
