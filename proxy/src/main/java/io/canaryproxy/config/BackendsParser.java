package io.canaryproxy.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the {@code backends} section (named pools: endpoints, connection bound, TLS, protocol), and
 * checks the backend names that other sections refer to.
 */
final class BackendsParser {
  private BackendsParser() {}

  /**
   * The pools under {@code top}'s {@code backends}, in their YAML order; with {@code readFiles},
   * their TLS files are read too.
   */
  static Map<String, BackendConfig> parse(YamlMap top, boolean readFiles) {
    Map<String, BackendConfig> out = new LinkedHashMap<>();
    String expected = "a mapping of pool names to {endpoints: [host:port, ...]}";
    if (!top.has("backends")) {
      top.missing("backends", expected);
      return out;
    }
    if (!top.raw("backends").isObject() || top.raw("backends").isEmpty()) {
      top.invalid("backends", expected);
      return out;
    }
    YamlMap backends = YamlMap.open(top.raw("backends"), "backends", top.errors());
    for (Map.Entry<String, JsonNode> e : backends.entries()) {
      YamlMap pool = backends.map(e.getKey(), "endpoints", "maxConnections", "tls", "protocol");
      List<HostPort> endpoints = new ArrayList<>();
      if (!pool.has("endpoints")) {
        pool.missing("endpoints", "at least one host:port");
      } else if (!pool.raw("endpoints").isArray() || pool.raw("endpoints").isEmpty()) {
        pool.invalid("endpoints", "a list of at least one host:port");
      } else {
        JsonNode list = pool.raw("endpoints");
        for (int i = 0; i < list.size(); i++) {
          try {
            if (!list.get(i).isTextual()) {
              throw new IllegalArgumentException();
            }
            endpoints.add(HostPort.parse(list.get(i).asText()));
          } catch (IllegalArgumentException ex) {
            top.errors()
                .add(
                    pool.path("endpoints")
                        + "["
                        + i
                        + "]: "
                        + YamlMap.show(list.get(i))
                        + " (expected: "
                        + HostPort.EXPECTED
                        + ")");
          }
        }
      }
      int maxConnections = (int) pool.integer("maxConnections", 1024, 1, 1_000_000);
      BackendTlsConfig tls =
          pool.declared("tls")
              ? TlsParser.parseBackend(pool.map("tls", TlsParser.BACKEND_KEYS), readFiles)
              : null;
      BackendProtocol protocol = backendProtocol(pool, tls);
      out.put(e.getKey(), new BackendConfig(List.copyOf(endpoints), maxConnections, tls, protocol));
    }
    return Collections.unmodifiableMap(out);
  }

  /**
   * {@code backends.NAME.protocol}: {@code h2} needs TLS (ALPN picks HTTP/2 in the handshake), and
   * {@code h2c} is cleartext HTTP/2, so it cannot be combined with an enabled {@code tls}.
   */
  private static BackendProtocol backendProtocol(YamlMap pool, BackendTlsConfig tls) {
    String text = pool.string("protocol", BackendProtocol.HTTP1.yamlName());
    BackendProtocol protocol = BackendProtocol.parse(text);
    boolean tlsOn = tls != null && tls.enabled();
    if (protocol == null) {
      pool.invalid("protocol", BackendProtocol.EXPECTED);
      return BackendProtocol.HTTP1;
    }
    if (protocol == BackendProtocol.H2 && !tlsOn) {
      pool.error(
          "protocol",
          "\"h2\" (expected: a tls section on this backend for h2, or h2c for cleartext HTTP/2)");
    } else if (protocol == BackendProtocol.H2C && tlsOn) {
      pool.error("protocol", "\"h2c\" (expected: h2 with tls; h2c is cleartext HTTP/2)");
    }
    return protocol;
  }

  /**
   * Reports {@code name} at {@code m.key} unless it names a backend; silent when no backend parsed
   * at all.
   */
  static void checkName(YamlMap m, String key, String name, Set<String> backends) {
    if (!backends.isEmpty() && !backends.contains(name)) {
      m.error(
          key,
          RoutingParser.quote(name)
              + " (expected: a name under backends: "
              + String.join(", ", backends)
              + ")");
    }
  }
}
