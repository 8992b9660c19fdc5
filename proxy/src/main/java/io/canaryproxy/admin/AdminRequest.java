package io.canaryproxy.admin;

import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/**
 * An admin request, fully read (at most 64 KiB of body) and detached from Netty buffers.
 *
 * @param method the request method
 * @param path the decoded path without the query string
 * @param params decoded query parameters
 * @param headers the request headers (read-only use)
 * @param body the request body, possibly empty
 */
public record AdminRequest(
    HttpMethod method,
    String path,
    Map<String, List<String>> params,
    HttpHeaders headers,
    byte[] body) {

  /** The first value of query parameter {@code name}, or {@code null}. */
  public String param(String name) {
    List<String> values = params.get(name);
    return values == null || values.isEmpty() ? null : values.get(0);
  }

  /** The body decoded as UTF-8. */
  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }
}
