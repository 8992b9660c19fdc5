package io.canaryproxy.testing;

import io.canaryproxy.config.AccessLogConfig;
import io.canaryproxy.config.AdminConfig;
import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.DnsConfig;
import io.canaryproxy.config.DrainConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.config.TimeoutsConfig;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Configs for tests, built directly as records with the documented defaults. */
public final class TestConfigs {
  private TestConfigs() {}

  public static TimeoutsConfig defaultTimeouts() {
    return new TimeoutsConfig(
        Duration.ofSeconds(2),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(10),
        Duration.ofSeconds(60));
  }

  public static LimitsConfig defaultLimits() {
    return new LimitsConfig(8 * 1024, 16 * 1024, 100, 100L * 1024 * 1024);
  }

  /**
   * Routing on {@code x-user-id} then cookie {@code uid}, override header {@code x-canary} from
   * loopback.
   */
  public static RoutingConfig routing(
      double canaryPercent, List<RoutingConfig.RuleConfig> rules, String trusted) {
    return new RoutingConfig(
        "stable",
        "canary",
        List.of(
            new UserKeySource(UserKeySource.Kind.HEADER, "x-user-id"),
            new UserKeySource(UserKeySource.Kind.COOKIE, "uid")),
        canaryPercent,
        "test-salt",
        RoutingConfig.Anonymous.STABLE,
        new RoutingConfig.OverrideConfig("x-canary", List.of(trusted)),
        rules,
        true);
  }

  /**
   * A proxy on 127.0.0.1:0 with one event loop, stable and canary pools, and any extra named pools.
   */
  public static ProxyConfig proxy(
      Map<String, String> backendEndpoints,
      RoutingConfig routing,
      TimeoutsConfig timeouts,
      LimitsConfig limits) {
    Map<String, BackendConfig> backends = new LinkedHashMap<>();
    backendEndpoints.forEach(
        (name, endpoint) -> {
          int colon = endpoint.lastIndexOf(':');
          backends.put(
              name,
              new BackendConfig(
                  List.of(
                      new HostPort(
                          endpoint.substring(0, colon),
                          Integer.parseInt(endpoint.substring(colon + 1)))),
                  1024));
        });
    return new ProxyConfig(
        new HostPort("127.0.0.1", 0),
        1,
        new AdminConfig(new HostPort("127.0.0.1", 0), null),
        backends,
        routing,
        null,
        null,
        timeouts,
        limits,
        new MetricsConfig(1, 60_000_000, 3, Duration.ofSeconds(10), 30),
        new AccessLogConfig(false, null, 1.0, false),
        new DrainConfig(Duration.ofSeconds(5), Duration.ofSeconds(20)),
        DnsConfig.defaults());
  }
}
