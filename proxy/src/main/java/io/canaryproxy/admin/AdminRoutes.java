package io.canaryproxy.admin;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * Exact-path routes of the admin server. {@link AdminAccess} decides first (401 with {@code
 * WWW-Authenticate: Bearer}, or 403); then a path with no route answers 404 and a path whose route
 * does not take the method answers 405 with {@code Allow}. Mutating routes take POST only.
 */
final class AdminRoutes {
  private final Map<String, Map<HttpMethod, AdminHandler>> routes = new ConcurrentHashMap<>();
  private final Set<String> mutating = ConcurrentHashMap.newKeySet();
  private volatile AdminAccess access = AdminAccess.open();

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
    // Marked first, so there is no moment when the handler is reachable without the token check.
    mutating.add(path);
    add(HttpMethod.POST, path, handler);
  }

  /** Sets who may call what; until then everything is open, as on loopback with no token. */
  void access(AdminAccess access) {
    this.access = access;
  }

  AdminResponse dispatch(AdminRequest request) throws Exception {
    boolean mutation =
        HttpMethod.POST.equals(request.method()) && mutating.contains(request.path());
    switch (access.decide(
        request.path(), mutation, request.headers().get(HttpHeaderNames.AUTHORIZATION))) {
      case UNAUTHORIZED:
        return AdminResponse.error(401, "missing or wrong bearer token")
            .withHeader("WWW-Authenticate", "Bearer");
      case FORBIDDEN:
        return AdminResponse.error(
            403, "read-only token: changes need the control token (admin.tokenFile)");
      case ALLOW:
      default:
        break;
    }
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
}
