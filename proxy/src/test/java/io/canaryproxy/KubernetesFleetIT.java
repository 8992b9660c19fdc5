package io.canaryproxy;

import io.canaryproxy.testing.FleetStoreFixture;
import io.canaryproxy.testing.KubernetesApiServer;
import java.nio.file.Path;

/**
 * The fleet scenarios on {@code store: kubernetes}. No real Kubernetes API server can run here: the
 * store talks to fabric8's {@code kubernetes-server-mock} in CRUD mode, a real HTTP server on a
 * loopback port that keeps the objects it is sent and answers the API's reads, updates (409 on an
 * old resourceVersion), merge patches and watches; the replicas reach it through a kubeconfig file,
 * as outside a cluster. Only that server is a stand-in; the store's client is the real one.
 */
class KubernetesFleetIT extends FleetScenarios {
  @Override
  protected FleetStoreFixture startStore(Path dir) throws Exception {
    return KubernetesApiServer.start(dir);
  }
}
