package io.canaryproxy.config;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The {@code rollout.coordination} section: where the replicas of one deployment agree on one
 * rollout (ARCHITECTURE.md decision 8).
 *
 * @param store {@code file} (default: one replica, the state file), {@code etcd} or {@code
 *     kubernetes}
 * @param endpoints etcd client URLs ({@code http://host:2379}); required with {@code etcd}
 * @param prefix key prefix; one rollout per prefix; default {@code /canary-proxy/default}
 * @param replicaId this replica's id, or {@code null} for {@code hostname/listen-address}
 * @param leaseTtl how long a replica's lease (its leadership and its published evidence) outlives
 *     its last renewal; 3s..5m, default 10s
 * @param staleAfter how long a replica may be cut off from the store before {@code failSafe}
 *     applies; 1s..1h, default 30s
 * @param failSafe what a cut-off replica routes by after {@code staleAfter}: {@code hold} (the last
 *     state it saw, default) or {@code stable} (no user goes to the canary)
 * @param username the etcd user to authenticate as, or {@code null} (no authentication); needs
 *     {@code passwordFile}
 * @param passwordFile the file holding that user's password (read when the replica joins; only the
 *     path is kept here), or {@code null}
 * @param tls TLS to {@code https://} etcd endpoints (CA, client certificate, server name), or
 *     {@code null} for the JDK's trust store and no client certificate
 * @param namespace with {@code kubernetes}: the namespace of the Lease and ConfigMaps, or {@code
 *     null} for the pod's own (its service account's namespace file)
 * @param kubeconfig with {@code kubernetes}: a kubeconfig file, or {@code null} for the in-cluster
 *     service account
 * @param name with {@code kubernetes}: the Lease's name, which the ConfigMaps' names start with;
 *     default {@code canary-proxy}
 */
public record CoordinationConfig(
    Store store,
    List<URI> endpoints,
    String prefix,
    String replicaId,
    Duration leaseTtl,
    Duration staleAfter,
    FailSafe failSafe,
    String username,
    Path passwordFile,
    BackendTlsConfig tls,
    String namespace,
    Path kubeconfig,
    String name) {

  /** Default of {@code prefix}. */
  public static final String DEFAULT_PREFIX = "/canary-proxy/default";

  /** Default of {@code name}. */
  public static final String DEFAULT_NAME = "canary-proxy";

  /** The default: a single replica with its state file. */
  public static final CoordinationConfig FILE =
      new CoordinationConfig(
          Store.FILE,
          List.of(),
          DEFAULT_PREFIX,
          null,
          Duration.ofSeconds(10),
          Duration.ofSeconds(30),
          FailSafe.HOLD,
          null,
          null,
          null,
          null,
          null,
          DEFAULT_NAME);

  public CoordinationConfig {
    endpoints = List.copyOf(endpoints);
  }

  /** Without etcd authentication. */
  public CoordinationConfig(
      Store store,
      List<URI> endpoints,
      String prefix,
      String replicaId,
      Duration leaseTtl,
      Duration staleAfter,
      FailSafe failSafe) {
    this(
        store,
        endpoints,
        prefix,
        replicaId,
        leaseTtl,
        staleAfter,
        failSafe,
        null,
        null,
        null,
        null,
        null,
        DEFAULT_NAME);
  }

  /** The store behind the rollout state. */
  public enum Store {
    FILE,
    ETCD,
    KUBERNETES
  }

  /** What a replica cut off from the store routes by once {@code staleAfter} has passed. */
  public enum FailSafe {
    HOLD,
    STABLE
  }
}
