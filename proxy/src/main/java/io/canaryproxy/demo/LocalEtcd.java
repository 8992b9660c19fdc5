package io.canaryproxy.demo;

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
 * A single-node etcd (the binary on the PATH, e.g. from the Debian package {@code etcd-server}) on
 * two free loopback ports, with its data and log in a directory of the caller's: for {@code demo
 * --fleet} and the fleet tests. {@link #kill()} and {@link #restart()} keep the ports and the data,
 * as a store outage does.
 */
public final class LocalEtcd implements AutoCloseable {
  private static final Duration READY_WITHIN = Duration.ofSeconds(30);

  private final Path etcd;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private Process process;

  private LocalEtcd(Path etcd, Path dir) throws IOException {
    this.etcd = etcd;
    this.dataDir = dir.resolve("etcd-data");
    this.log = dir.resolve("etcd.log");
    this.clientPort = freePort();
    this.peerPort = freePort();
  }

  /** The {@code etcd} executable on the PATH, if any. */
  public static Optional<Path> onPath() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
      Path p = Path.of(d.isEmpty() ? "." : d, "etcd");
      if (Files.isExecutable(p)) {
        return Optional.of(p);
      }
    }
    return Optional.empty();
  }

  /**
   * Starts {@code etcd} with its data and log ({@code etcd.log}) under {@code dir} and waits until
   * it answers.
   *
   * @throws IOException when it cannot be started or does not answer within 30 s
   */
  public static LocalEtcd start(Path etcd, Path dir) throws IOException, InterruptedException {
    LocalEtcd server = new LocalEtcd(etcd, dir);
    server.restart();
    return server;
  }

  /** The client URL, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return URI.create("http://127.0.0.1:" + clientPort);
  }

  /** Its log file. */
  public Path log() {
    return log;
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
  public void restart() throws IOException, InterruptedException {
    String client = "http://127.0.0.1:" + clientPort;
    String peer = "http://127.0.0.1:" + peerPort;
    process =
        new ProcessBuilder(
                etcd.toString(),
                "--name",
                "canary-proxy-local",
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
                "canary-proxy-local=" + peer)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    HttpRequest health =
        HttpRequest.newBuilder(URI.create(client + "/health"))
            .timeout(Duration.ofSeconds(2))
            .build();
    long deadline = System.nanoTime() + READY_WITHIN.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IOException("etcd exited with " + process.exitValue() + "; see " + log);
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.ofString()).body().contains("true")) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        kill();
        throw new IOException("etcd did not answer within " + READY_WITHIN + "; see " + log);
      }
      Thread.sleep(100); // the caller's thread, before anything else runs: poll until it answers
    }
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
}
