package io.canaryproxy.server.http2;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.IntFunction;

/**
 * What the tests of HTTP/2 backends share: {@link RawH2Backend}s, a proxy ({@code ioThreads: 1})
 * whose stable and canary backends are one of them over {@code h2c}, and HTTP/1.1 GETs through it
 * on raw sockets. Closes all of it at the end.
 */
final class H2BackendHarness implements AutoCloseable {
  private final List<AutoCloseable> open = new ArrayList<>();
  private RunningProxy proxy;

  /** A backend running {@code first} on its first connection and serving normally on the others. */
  RawH2Backend backend(RawH2Backend.Script first) throws IOException {
    return backendWith(n -> n == 1 ? first : RawH2Backend::serve);
  }

  /** A backend running {@code scripts.apply(n)} on its connection {@code n}. */
  RawH2Backend backendWith(IntFunction<RawH2Backend.Script> scripts) throws IOException {
    RawH2Backend b = new RawH2Backend(scripts);
    open.add(b);
    return b;
  }

  /**
   * Starts the proxy in front of {@code endpoint} ({@code h2c}, with {@code backendYaml} added to
   * the backend's map, e.g. {@code maxConnections: 1}) and the top-level {@code extraYaml}.
   */
  RunningProxy startProxy(String endpoint, String backendYaml, String extraYaml) throws Exception {
    String backend =
        "{ endpoints: [\""
            + endpoint
            + "\"], protocol: h2c"
            + (backendYaml.isEmpty() ? "" : ", " + backendYaml)
            + " }";
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
            "  canaryPercent: 0",
            "  salt: \"h2-salt\"",
            extraYaml,
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));
    return proxy;
  }

  RunningProxy startProxy(RawH2Backend b, String extraYaml) throws Exception {
    return startProxy(b.endpoint(), "", extraYaml);
  }

  RunningProxy proxy() {
    return proxy;
  }

  /** Sends a GET asking to close, and returns everything until the close. */
  String get(String path) throws IOException {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(15_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET " + path + " HTTP/1.1\r\nHost: app.test\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  CompletableFuture<String> getAsync(String path) {
    return CompletableFuture.supplyAsync(
        () -> {
          try {
            return get(path);
          } catch (IOException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  @Override
  public void close() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : open) {
      c.close();
    }
  }
}
