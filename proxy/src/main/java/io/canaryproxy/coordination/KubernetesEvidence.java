package io.canaryproxy.coordination;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The evidence half of {@link KubernetesFleetStore}: each replica publishes its intervals into its
 * own ConfigMap {@code NAME-ev-HASH} (labelled with the fleet, annotated with the replica id) by
 * merge patches, which need no read, one {@code binaryData} key per interval ({@code SEQ.MILLIS});
 * the leader lists the fleet's ConfigMaps, takes every key and removes them the same way, ignoring
 * intervals older than {@code leaseTtl}.
 */
final class KubernetesEvidence {
  private final KubernetesApi api;
  private final String fleet;
  private final String name;
  private final String replicaId;
  private final Duration ttl;
  private final Clock clock;

  /**
   * @param fleet the fleet's name: the Lease's, and the value of {@link
   *     KubernetesFleetStore#FLEET_LABEL}
   */
  KubernetesEvidence(KubernetesApi api, String fleet, String replicaId, Duration ttl, Clock clock) {
    this.api = api;
    this.fleet = fleet;
    this.name = fleet + "-ev-" + hash(replicaId);
    this.replicaId = replicaId;
    this.ttl = ttl;
    this.clock = clock;
  }

  /** See {@link FleetStore#publish}. */
  void publish(long seq, byte[] value) throws IOException {
    String key = String.format("%019d.%d", seq, clock.millis());
    Map<String, Object> data = Map.of(key, Base64.getEncoder().encodeToString(value));
    try {
      api.patchBinaryData(name, data);
    } catch (IOException e) {
      if (!(e.getCause() instanceof KubernetesClientException k) || k.getCode() != 404) {
        throw e;
      }
      ConfigMap created =
          new ConfigMapBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(api.namespace)
              .addToLabels(KubernetesFleetStore.FLEET_LABEL, fleet)
              .addToAnnotations(KubernetesFleetStore.REPLICA_ANNOTATION, replicaId)
              .endMetadata()
              .addToBinaryData(key, (String) data.get(key))
              .build();
      try {
        api.call(
            () -> api.client.configMaps().inNamespace(api.namespace).resource(created).create());
      } catch (KubernetesApi.Conflict c) {
        api.patchBinaryData(name, data); // created by this replica's previous try that timed out
      }
    }
  }

  /** See {@link FleetStore#takeEvidence}. */
  List<byte[]> take() throws IOException {
    List<ConfigMap> maps =
        api.call(
            () ->
                api.client
                    .configMaps()
                    .inNamespace(api.namespace)
                    .withLabel(KubernetesFleetStore.FLEET_LABEL, fleet)
                    .list()
                    .getItems());
    long oldest = clock.millis() - ttl.toMillis();
    List<byte[]> out = new ArrayList<>();
    for (ConfigMap m : maps) {
      Map<String, String> binary = m.getBinaryData();
      if (binary == null || binary.isEmpty()) {
        continue;
      }
      Map<String, Object> removed = new LinkedHashMap<>();
      for (Map.Entry<String, String> e : binary.entrySet()) {
        if (e.getValue() == null) {
          continue; // removed (a server that keeps a merge patch's null shows it so)
        }
        removed.put(e.getKey(), null);
        String key = e.getKey();
        long at = Long.parseLong(key.substring(key.indexOf('.') + 1));
        if (at >= oldest) { // the TTL the leader enforces: older intervals say nothing of now
          out.add(Base64.getDecoder().decode(e.getValue()));
        }
      }
      if (!removed.isEmpty()) {
        api.patchBinaryData(m.getMetadata().getName(), removed);
      }
    }
    return out;
  }

  /** A replica id as a Kubernetes name part: ids hold '/' and ':'. */
  private static String hash(String replicaId) {
    try {
      byte[] d =
          MessageDigest.getInstance("SHA-256").digest(replicaId.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 6);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
