package io.canaryproxy.testing;

import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A Kubernetes API server for the {@code kubernetes} fleet store's tests: fabric8's {@code
 * kubernetes-server-mock} in CRUD mode (no real API server can run here), a real HTTP server on a
 * loopback port that stores the objects it is sent and serves reads, updates with optimistic
 * concurrency on {@code resourceVersion}, patches and watches. It writes a kubeconfig file that
 * points at it (namespace {@code fleet-it}). {@link #kill()} stops the server and {@link
 * #restart()} starts a new one on the same port over the same stored objects.
 */
public final class KubernetesApiServer implements FleetStoreFixture {
  /** The mock logs every request at INFO through java.util.logging; kept, or the level is lost. */
  private static final Logger QUIET = quiet();

  private final KubernetesCrudDispatcher objects = new KubernetesCrudDispatcher();
  private final Path kubeconfig;
  private KubernetesMockServer server;
  private int port;

  private KubernetesApiServer(Path dir) {
    this.kubeconfig = dir.resolve("kubeconfig");
  }

  /** Starts the server on a free loopback port and writes {@code DIR/kubeconfig}. */
  public static KubernetesApiServer start(Path dir) throws Exception {
    KubernetesApiServer api = new KubernetesApiServer(dir);
    api.listen(0);
    Files.writeString(
        api.kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters: [{ name: mock, cluster: { server: "http://127.0.0.1:%d" } }]
        users: [{ name: mock, user: { token: test-token } }]
        contexts: [{ name: mock, context: { cluster: mock, user: mock, namespace: fleet-it } }]
        current-context: mock
        """
            .formatted(api.port));
    return api;
  }

  private void listen(int at) {
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), objects, false);
    server.init(InetAddress.getLoopbackAddress(), at);
    port = server.getPort();
  }

  private static Logger quiet() {
    Logger l = Logger.getLogger("io.fabric8.mockwebserver");
    l.setLevel(Level.WARNING);
    return l;
  }

  /** The kubeconfig file that reaches this server. */
  public Path kubeconfig() {
    return kubeconfig;
  }

  @Override
  public String coordination() {
    return "store: kubernetes, kubeconfig: \"" + kubeconfig + "\", name: fleet-it";
  }

  @Override
  public String kind() {
    return "kubernetes";
  }

  @Override
  public void kill() {
    server.destroy();
  }

  @Override
  public void restart() {
    listen(port);
  }

  @Override
  public void close() {
    try {
      server.destroy();
    } catch (IllegalStateException e) {
      // the mock's watch handler can block its event loop while many watches close at once, and
      // its shutdown gives up waiting; the server is going away with the test either way
      System.out.println("KubernetesApiServer: " + e.getMessage() + " (mock server shutdown)");
    }
  }
}
