package io.canaryproxy.testing;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/**
 * A real single-node etcd (the Debian package {@code etcd-server}) on two free loopback ports with
 * its data in a temporary directory, for the fleet tests. {@link #start} skips the calling test,
 * saying why, when no {@code etcd} is on the PATH. {@link #kill()} and {@link #restart()} keep the
 * ports and the data, as a store outage does.
 */
public final class EtcdServer implements AutoCloseable {
  private final Path etcd;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  private EtcdServer(Path etcd, Path dir) throws IOException {
    this.etcd = etcd;
    this.dataDir = dir.resolve("etcd-data");
    this.log = dir.resolve("etcd.log");
    this.clientPort = freePort();
    this.peerPort = freePort();
  }

  /** Starts etcd with its data under {@code dir}, or skips the test when etcd is not installed. */
  public static EtcdServer start(Path dir, String testName) throws Exception {
    Optional<Path> etcd = onPath("etcd");
    assumeTrue(
        etcd.isPresent(),
        () -> {
          String reason =
              testName
                  + " SKIPPED: no etcd on the PATH (apt-get install etcd-server; .ci/run does)";
          System.out.println(reason);
          return reason;
        });
    EtcdServer server = new EtcdServer(etcd.get(), dir);
    server.restart();
    return server;
  }

  /** The client URL, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + clientPort);
  }

  /** Kills etcd at once (SIGKILL), keeping its data; the port refuses connections until restart. */
  public void kill() throws InterruptedException {
    if (process != null) {
      process.destroyForcibly();
      process.waitFor();
      process = null;
    }
  }

  /** Starts etcd on the same ports and data and waits until it answers. */
  public void restart() throws IOException {
    String client = "http://127.0.0.1:" + clientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    process =
        new ProcessBuilder(
                etcd.toString(),
                "--name",
                "fleet-test",
                "--data-dir",
                dataDir.toString(),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peer,
                "--initial-advertise-peer-urls",
                peer,
                "--initial-cluster",
                "fleet-test=" + peer)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException("etcd exited; see " + log);
              }
              return http.send(
                      HttpRequest.newBuilder(URI.create(client + "/health")).build(),
                      HttpResponse.BodyHandlers.ofString())
                  .body()
                  .contains("true");
            });
  }

  @Override
  public void close() throws InterruptedException {
    kill();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static Optional<Path> onPath(String name) {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d, name);
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }
}
