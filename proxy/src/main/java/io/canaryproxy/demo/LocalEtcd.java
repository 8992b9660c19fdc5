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
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.net.ssl.SSLContext;

/**
 * A single-node etcd (the binary on the PATH, e.g. from the Debian package {@code etcd-server}) on
 * two free loopback ports, with its data and log in a directory of the caller's: for {@code demo
 * --fleet} and the fleet tests. {@link #kill()} and {@link #restart()} keep the ports and the data,
 * as a store outage does.
 */
public final class LocalEtcd implements AutoCloseable {
  private static final Duration READY_WITHIN = Duration.ofSeconds(30);

  private final Path etcd;
  private final String name;
  private final Path dataDir;
  private final Path log;
  private final int clientPort;
  private final int peerPort;
  private String initialCluster;
  private List<String> flags = List.of();
  private SSLContext tls;
  private Process process;

  private LocalEtcd(Path etcd, Path dir, String name, String suffix) throws IOException {
    this.etcd = etcd;
    this.name = name;
    this.dataDir = dir.resolve("etcd-data" + suffix);
    this.log = dir.resolve("etcd" + suffix + ".log");
    this.clientPort = freePort();
    this.peerPort = freePort();
    this.initialCluster = name + "=" + peerUrl();
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
    return start(etcd, dir, List.of());
  }

  /** As {@link #start(Path, Path)}, with more etcd flags, e.g. {@code --auth-token-ttl 1}. */
  public static LocalEtcd start(Path etcd, Path dir, List<String> flags)
      throws IOException, InterruptedException {
    LocalEtcd server = new LocalEtcd(etcd, dir, "canary-proxy-local", "");
    server.flags = List.copyOf(flags);
    server.restart();
    return server;
  }

  /**
   * As {@link #start(Path, Path, List)} for an etcd serving TLS on its client port ({@code flags}
   * give {@code --cert-file} and {@code --key-file}, maybe {@code --client-cert-auth}): its
   * endpoint is {@code https://}, and {@code clientTls} is how this class checks that it answers.
   */
  public static LocalEtcd startTls(Path etcd, Path dir, List<String> flags, SSLContext clientTls)
      throws IOException, InterruptedException {
    LocalEtcd server = new LocalEtcd(etcd, dir, "canary-proxy-local", "");
    server.flags = List.copyOf(flags);
    server.tls = clientTls;
    server.restart();
    return server;
  }

  /**
   * Starts a cluster of {@code members} etcd members ({@code m0}, {@code m1}...), each with its
   * data and log ({@code etcd-mN.log}) under {@code dir}, and waits until every one answers healthy
   * (which needs a quorum).
   */
  public static List<LocalEtcd> startCluster(Path etcd, Path dir, int members)
      throws IOException, InterruptedException {
    List<LocalEtcd> cluster = new ArrayList<>();
    for (int i = 0; i < members; i++) {
      cluster.add(new LocalEtcd(etcd, dir, "m" + i, "-m" + i));
    }
    String initial =
        cluster.stream().map(m -> m.name + "=" + m.peerUrl()).collect(Collectors.joining(","));
    for (LocalEtcd m : cluster) {
      m.initialCluster = initial;
      m.launch();
    }
    for (LocalEtcd m : cluster) {
      m.awaitHealthy();
    }
    return List.copyOf(cluster);
  }

  /** The client URL, {@code http://127.0.0.1:PORT} ({@code https://} with TLS). */
  public URI endpoint() {
    return URI.create((tls == null ? "http" : "https") + "://127.0.0.1:" + clientPort);
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
    launch();
    awaitHealthy();
  }

  private void launch() throws IOException {
    String client = endpoint().toString();
    List<String> command =
        new ArrayList<>(
            List.of(
                etcd.toString(),
                "--name",
                name,
                "--data-dir",
                dataDir.toString(),
                "--listen-client-urls",
                client,
                "--advertise-client-urls",
                client,
                "--listen-peer-urls",
                peerUrl(),
                "--initial-advertise-peer-urls",
                peerUrl(),
                "--initial-cluster",
                initialCluster));
    command.addAll(flags);
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
            .start();
  }

  private void awaitHealthy() throws IOException, InterruptedException {
    HttpClient.Builder client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1));
    if (tls != null) {
      client.sslContext(tls);
    }
    HttpClient http = client.build();
    HttpRequest health =
        HttpRequest.newBuilder(endpoint().resolve("/health"))
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

  private String peerUrl() {
    return "http://127.0.0.1:" + peerPort;
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
