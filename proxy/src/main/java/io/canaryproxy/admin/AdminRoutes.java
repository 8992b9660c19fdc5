package io.canaryproxy.admin;

import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Exact-path routes of the admin server. A path with no route answers 404; a path whose route does
 * not take the method answers 405 with {@code Allow}. Mutating routes take POST only and, when a
 * token is configured, require {@code Authorization: Bearer <token>} (401 with {@code
 * WWW-Authenticate: Bearer} otherwise).
 */
final class AdminRoutes {
  private final Map<String, Map<HttpMethod, AdminHandler>> routes = new ConcurrentHashMap<>();
  private volatile byte[] tokenDigest;

  void add(HttpMethod method, String path, AdminHandler handler) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path: " + path + " (expected: starts with /)");
    }
    Map<HttpMethod, AdminHandler> byMethod =
        routes.computeIfAbsent(path, p -> new ConcurrentHashMap<>());
    if (byMethod.putIfAbsent(method, handler) != null) {
      throw new IllegalStateException("route already registered: " + method + " " + path);
    }
  }

  void addMutating(String path, AdminHandler handler) {
    add(
        HttpMethod.POST,
        path,
        request -> authorized(request) ? handler.handle(request) : unauthorized());
  }

  /** Sets the bearer token; {@code null} means mutating routes need none. */
  void token(String token) {
    tokenDigest = token == null ? null : sha256(token);
  }

  AdminResponse dispatch(AdminRequest request) throws Exception {
    Map<HttpMethod, AdminHandler> byMethod = routes.get(request.path());
    if (byMethod == null) {
      return AdminResponse.error(404, "no such admin endpoint: " + request.path());
    }
    AdminHandler handler = byMethod.get(request.method());
    if (handler == null && HttpMethod.HEAD.equals(request.method())) {
      handler = byMethod.get(HttpMethod.GET);
    }
    if (handler == null) {
      String allow =
          byMethod.keySet().stream()
              .map(HttpMethod::name)
              .sorted()
              .collect(Collectors.joining(", "));
      return AdminResponse.error(405, request.method() + " not allowed on " + request.path())
          .withHeader("Allow", allow);
    }
    return handler.handle(request);
  }

  private boolean authorized(AdminRequest request) {
    byte[] expected = tokenDigest;
    if (expected == null) {
      return true;
    }
    String header = request.headers().get("Authorization");
    if (header == null || header.length() < 7 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return false;
    }
    // Comparing fixed-length digests in constant time reveals neither the token's content nor its
    // length.
    return MessageDigest.isEqual(expected, sha256(header.substring(7).trim()));
  }

  private static AdminResponse unauthorized() {
    return AdminResponse.error(401, "missing or wrong bearer token")
        .withHeader("WWW-Authenticate", "Bearer");
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
