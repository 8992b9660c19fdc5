package io.canaryproxy.admin;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.EndpointDirectory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * What {@code GET /admin/endpoints} shows: each backend's endpoints with the addresses they resolve
 * to now, and the state of every name (TTL, failures, last error).
 */
public final class EndpointsJson {
  private EndpointsJson() {}

  /**
   * The {@code GET /admin/endpoints} handler.
   *
   * @param backends the live config's backends, asked per request so that a reload shows
   * @param directory the addresses of every endpoint, kept current by DNS
   */
  public static AdminHandler handler(
      Supplier<Map<String, BackendConfig>> backends, EndpointDirectory directory) {
    return request -> AdminResponse.json(200, render(backends.get(), directory));
  }

  /**
   * @param backends the live config's backends, in YAML order
   * @param directory the addresses of every endpoint, kept current by DNS
   */
  public static Map<String, Object> render(
      Map<String, BackendConfig> backends, EndpointDirectory directory) {
    Map<String, Object> byBackend = new LinkedHashMap<>();
    backends.forEach(
        (name, backend) -> {
          List<Map<String, Object>> endpoints = new ArrayList<>();
          for (HostPort hp : backend.endpoints()) {
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("endpoint", hp.toString());
            e.put(
                "addresses",
                directory.addresses(hp).stream().map(EndpointDirectory::show).toList());
            endpoints.add(e);
          }
          byBackend.put(name, endpoints);
        });
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("backends", byBackend);
    out.put("names", directory.names());
    out.put(
        "resolutions", Map.of("success", directory.successes(), "failure", directory.failures()));
    out.put("changes", directory.changes());
    return out;
  }
}
