package io.canaryproxy.coordination;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import java.io.IOException;
import java.util.Map;

/**
 * Calls to the Kubernetes API server in one namespace, as {@link KubernetesFleetStore} makes them:
 * each one timed for {@code canary_proxy_coordination_*} ({@link EtcdClient.CallListener}), a 409
 * turned into a {@link Conflict}, any other failure into an {@link IOException}.
 */
final class KubernetesApi {
  final KubernetesClient client;
  final String namespace;
  private final EtcdClient.CallListener calls;

  KubernetesApi(KubernetesClient client, String namespace, EtcdClient.CallListener calls) {
    this.client = client;
    this.namespace = namespace;
    this.calls = calls;
  }

  /**
   * A call to the API server, timed; a 409 is a {@link Conflict}, any other failure IOException.
   */
  <T> T call(ApiCall<T> c) throws IOException {
    long start = System.nanoTime();
    boolean ok = false;
    try {
      T t = c.run();
      ok = true;
      return t;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 409) {
        ok = true; // the server answered: someone else wrote first
        throw new Conflict(e);
      }
      throw new IOException("kubernetes API: " + e.getMessage(), e);
    } finally {
      calls.onCall(System.nanoTime() - start, ok);
    }
  }

  /**
   * Merges {@code binaryData} into ConfigMap {@code name} (a JSON merge patch, which needs no read:
   * a {@code null} value removes its key).
   */
  void patchBinaryData(String name, Map<String, Object> binaryData) throws IOException {
    Map<String, Object> body = Map.of("binaryData", binaryData);
    String json = FleetRolloutStore.JSON.writeValueAsString(body);
    call(
        () ->
            client
                .configMaps()
                .inNamespace(namespace)
                .withName(name)
                .patch(PatchContext.of(PatchType.JSON_MERGE), json));
  }

  void close() {
    client.close();
  }

  interface ApiCall<T> {
    T run();
  }

  /**
   * The API server refused a write made on an old resourceVersion, or a create of an existing one.
   */
  static final class Conflict extends IOException {
    Conflict(KubernetesClientException e) {
      super(e.getMessage(), e);
    }
  }
}
