package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TunnelBackend;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM on the real program, run as a child process: the drain Kubernetes expects, and exit
 * status 0.
 */
class DrainIT {
  @TempDir Path dir;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StubServer backend;
  private TunnelBackend tunnelBackend;
  private Process process;
  private int port;

  @AfterEach
  void stop() throws Exception {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
    }
    if (backend != null) {
      backend.close();
    }
    if (tunnelBackend != null) {
      tunnelBackend.close();
    }
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private int status(String url) {
    try {
      return client
          .send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
              BodyHandlers.discarding())
          .statusCode();
    } catch (Exception e) {
      return -1;
    }
  }

  /** Starts the program on free ports in front of {@code endpoint}; returns the admin URL. */
  private String startProxy(String endpoint) throws Exception {
    port = freePort();
    int adminPort = freePort();
    Path config = dir.resolve("config.yaml");
    Files.writeString(
        config,
        """
        listen: 127.0.0.1:%d
        ioThreads: 1
        admin: { listen: 127.0.0.1:%d }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        drain: { delay: 1s, timeout: 5s }
        """
            .formatted(port, adminPort, endpoint, endpoint));
    String java = ProcessHandle.current().info().command().orElse("java");
    process =
        new ProcessBuilder(
                java,
                "-Xmx128m",
                "-cp",
                System.getProperty("java.class.path"),
                Main.class.getName(),
                "run",
                "--config",
                config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("proxy.log").toFile())
            .start();
    String admin = "http://127.0.0.1:" + adminPort;
    await().atMost(Duration.ofSeconds(90)).until(() -> status(admin + "/readyz") == 200);
    return admin;
  }

  @Test
  void sigtermKeepsAnOpenTunnelGoingThroughTheDelayThenClosesItAtTheTimeout() throws Exception {
    tunnelBackend = TunnelBackend.echoing();
    String admin = startProxy(tunnelBackend.endpoint());
    try (RawHttp ws = new RawHttp(port)) {
      RawHttp.Response switched =
          ws.send(
                  "GET /chat HTTP/1.1\r\nHost: app\r\nUpgrade: websocket\r\n"
                      + "Connection: Upgrade\r\n\r\n")
              .read();
      assertThat(switched.status()).isEqualTo(101);

      long signalled = System.nanoTime();
      process.destroy(); // SIGTERM
      await().atMost(Duration.ofSeconds(1)).until(() -> status(admin + "/readyz") == 503);
      // Draining: the tunnel still carries bytes both ways.
      byte[] ping = "ping-after-sigterm".getBytes(StandardCharsets.US_ASCII);
      ws.output().write(ping);
      ws.output().flush();
      assertThat(ws.input().readNBytes(ping.length)).isEqualTo(ping);
      // At drain.delay + drain.timeout (1 s + 5 s) the proxy closes it, then exits 0.
      assertThat(ws.closedByPeer()).isTrue();
      assertThat(Duration.ofNanos(System.nanoTime() - signalled))
          .as("the tunnel lasted until the drain timed out")
          .isGreaterThanOrEqualTo(Duration.ofSeconds(5));
    }
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).as(log()).isZero();
    assertThat(log()).contains("closing requests still in flight and 1 open tunnels");
  }

  @Test
  void sigtermDrainsInFlightAndSteadyLoadThenExitsZero() throws Exception {
    backend =
        StubServer.start(
            (ctx, req) ->
                StubServer.delayed(
                        req.uri().equals("/slow") ? 2500 : 0,
                        (c, r) -> StubServer.reply(c, HttpResponseStatus.OK, "ok"))
                    .respond(ctx, req));
    String admin = startProxy(backend.endpoint());

    CompletableFuture<HttpResponse<String>> slow =
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/slow")).build(),
            BodyHandlers.ofString());
    await().until(() -> backend.received().stream().anyMatch(r -> r.uri().equals("/slow")));

    // Steady load on one keep-alive connection; like a client whose endpoint list dropped this pod,
    // it opens no new
    // connection once the proxy answers "Connection: close".
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Thread load =
        new Thread(
            () -> {
              try (RawHttp raw = new RawHttp(port)) {
                for (int i = 0; i < 100_000; i++) {
                  RawHttp.Response r = raw.send("GET /steady HTTP/1.1\r\nHost: a\r\n\r\n").read();
                  if (r.status() != 200) {
                    failed.incrementAndGet();
                  } else {
                    ok.incrementAndGet();
                  }
                  if ("close".equals(r.header("connection"))) {
                    return;
                  }
                }
              } catch (Exception e) {
                failed.incrementAndGet();
              }
            });
    load.start();
    await().until(() -> ok.get() > 10);

    long signalled = System.nanoTime();
    process.destroy(); // SIGTERM
    await().atMost(Duration.ofSeconds(1)).until(() -> status(admin + "/readyz") == 503);
    assertThat(status(admin + "/healthz")).isEqualTo(200);

    HttpResponse<String> slowResponse = slow.get(10, TimeUnit.SECONDS);
    assertThat(slowResponse.statusCode()).isEqualTo(200);
    assertThat(process.waitFor(1 + 5 + 3, TimeUnit.SECONDS))
        .as("exits within drain.delay + drain.timeout")
        .isTrue();
    assertThat(process.exitValue()).as(log()).isZero();
    load.join(5_000);
    assertThat(failed.get()).as("failed requests under steady load").isZero();
    assertThat(ok.get()).isGreaterThan(10);
    assertThat(Duration.ofNanos(System.nanoTime() - signalled))
        .isGreaterThanOrEqualTo(Duration.ofSeconds(1));
  }

  private String log() throws Exception {
    File f = dir.resolve("proxy.log").toFile();
    return f.exists() ? String.join("\n", Files.readAllLines(f.toPath())) : "";
  }
}
