package io.canaryproxy.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.canaryproxy.demo.LocalEtcd;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A real single-node etcd ({@link LocalEtcd}: the Debian package {@code etcd-server}) on two free
 * loopback ports with its data in a temporary directory, for the fleet tests. {@link #start} skips
 * the calling test, saying why, when no {@code etcd} is on the PATH. {@link #kill()} and {@link
 * #restart()} keep the ports and the data, as a store outage does.
 */
public final class EtcdServer implements FleetStoreFixture {
  private final LocalEtcd etcd;

  private EtcdServer(LocalEtcd etcd) {
    this.etcd = etcd;
  }

  /** Starts etcd with its data under {@code dir}, or skips the test when etcd is not installed. */
  public static EtcdServer start(Path dir, String testName) throws Exception {
    return start(dir, testName, List.of());
  }

  /** As {@link #start(Path, String)}, with more etcd flags. */
  public static EtcdServer start(Path dir, String testName, List<String> flags) throws Exception {
    Optional<Path> etcd = LocalEtcd.onPath();
    assumeTrue(
        etcd.isPresent(),
        () -> {
          String reason =
              testName
                  + " SKIPPED: no etcd on the PATH (apt-get install etcd-server; .ci/run does)";
          System.out.println(reason);
          return reason;
        });
    return new EtcdServer(LocalEtcd.start(etcd.get(), dir, flags));
  }

  /** The client URL, {@code http://127.0.0.1:PORT}. */
  public URI endpoint() {
    return etcd.endpoint();
  }

  @Override
  public String coordination() {
    return "store: etcd, endpoints: [\"" + endpoint() + "\"], prefix: /fleet-it";
  }

  @Override
  public String kind() {
    return "etcd";
  }

  /** Kills etcd at once (SIGKILL), keeping its data; the port refuses connections until restart. */
  @Override
  public void kill() throws InterruptedException {
    etcd.kill();
  }

  /** Starts etcd on the same ports and data and waits until it answers. */
  @Override
  public void restart() throws IOException, InterruptedException {
    etcd.restart();
  }

  @Override
  public void close() throws InterruptedException {
    etcd.close();
  }
}
