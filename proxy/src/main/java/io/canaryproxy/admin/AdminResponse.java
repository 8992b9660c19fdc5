package io.canaryproxy.admin;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * An admin answer: status, content type, body bytes and extra headers. Built with the static
 * factories.
 *
 * @param status HTTP status code
 * @param contentType value of {@code Content-Type}
 * @param body the whole body
 * @param headers extra response headers, e.g. {@code Allow}
 */
public record AdminResponse(
    int status, String contentType, byte[] body, Map<String, String> headers) {
  static final ObjectMapper JSON = new ObjectMapper();
  static final String JSON_TYPE = "application/json";
  static final String TEXT_TYPE = "text/plain; charset=utf-8";

  public AdminResponse {
    headers = Map.copyOf(headers);
  }

  /** A plain-text answer. */
  public static AdminResponse text(int status, String text) {
    return new AdminResponse(status, TEXT_TYPE, text.getBytes(StandardCharsets.UTF_8), Map.of());
  }

  /** {@code value} rendered as JSON with Jackson. */
  public static AdminResponse json(int status, Object value) {
    try {
      return new AdminResponse(status, JSON_TYPE, JSON.writeValueAsBytes(value), Map.of());
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(
          "not serializable as JSON: " + value.getClass().getName(), e);
    }
  }

  /** {@code {"error": message}} with the given status. */
  public static AdminResponse error(int status, String message) {
    return json(status, Map.of("error", message));
  }

  /** The same answer with one more header. */
  public AdminResponse withHeader(String name, String value) {
    Map<String, String> more = new HashMap<>(headers);
    more.put(name, value);
    return new AdminResponse(status, contentType, body, more);
  }
}
