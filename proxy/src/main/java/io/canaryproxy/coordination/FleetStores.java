package io.canaryproxy.coordination;

import io.canaryproxy.config.BackendTlsConfig;
import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.metrics.MetricNames;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link FleetStore} that {@code rollout.coordination.store} names, and makes its first
 * contact.
 */
final class FleetStores {
  // the coordinator's logger: the join's lines keep the name they had when it made the first
  // contact
  private static final Logger log = LoggerFactory.getLogger(FleetCoordinator.class);

  /** Tries of the first call to the store when joining. */
  static final int JOIN_ATTEMPTS = 3;

  private FleetStores() {}

  /**
   * Opens this replica's session, trying {@value #JOIN_ATTEMPTS} times: the first call of a fresh
   * JVM (class loading, the HTTP client's first connection) can outlast one call's timeout ({@code
   * leaseTtl / 3}) on a loaded host, so the join gives the store about {@code leaseTtl}.
   */
  static void firstOpen(FleetStore fleet) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        fleet.open();
        return;
      } catch (IOException e) {
        if (attempt == JOIN_ATTEMPTS) {
          throw e;
        }
        log.info("fleet store did not answer ({}); trying again", e.getMessage());
      }
    }
  }

  /**
   * The store of {@code config} for replica {@code replicaId}; nothing is contacted yet. Every call
   * is timed into {@code registry} ({@code canary_coordination_store_seconds} by outcome) and lasts
   * at most {@code leaseTtl / 3}.
   */
  static FleetStore open(
      CoordinationConfig config, String replicaId, MeterRegistry registry, Clock clock) {
    EtcdClient.CallListener calls = timed(registry);
    Duration timeout = config.leaseTtl().dividedBy(3);
    switch (config.store()) {
      case ETCD:
        return new EtcdFleetStore(
            new EtcdClient(
                config.endpoints(), timeout, calls, credentials(config), tls(config.tls())),
            config.prefix(),
            replicaId,
            config.leaseTtl());
      case KUBERNETES:
        KubernetesClient client = kubernetes(config, timeout);
        String namespace = config.namespace();
        if (namespace == null) {
          namespace = client.getNamespace() != null ? client.getNamespace() : "default";
        }
        return new KubernetesFleetStore(
            client, namespace, config.name(), replicaId, config.leaseTtl(), clock, calls);
      default:
        throw new IllegalArgumentException(
            "rollout.coordination.store: " + config.store() + " (expected: etcd | kubernetes)");
    }
  }

  /** Times every store call into {@code registry}, by outcome. */
  private static EtcdClient.CallListener timed(MeterRegistry registry) {
    Timer ok = storeTimer(registry, "success");
    Timer failed = storeTimer(registry, "failure");
    return (nanos, success) -> (success ? ok : failed).record(nanos, TimeUnit.NANOSECONDS);
  }

  private static Timer storeTimer(MeterRegistry registry, String outcome) {
    return Timer.builder(MetricNames.COORDINATION_STORE)
        .description("Fleet store calls by outcome")
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(registry);
  }

  /**
   * A client of the API server: from {@code kubeconfig} when set, else fabric8's auto-configuration
   * (in a pod: the service account's token, CA and namespace). Each call lasts at most {@code
   * timeout} and is not retried by the client (the coordinator retries, and marks the store stale).
   */
  private static KubernetesClient kubernetes(CoordinationConfig config, Duration timeout) {
    Config base =
        config.kubeconfig() != null
            ? Config.fromKubeconfig(config.kubeconfig().toFile())
            : Config.autoConfigure(null);
    int millis = (int) Math.max(1, timeout.toMillis());
    Config tuned =
        new ConfigBuilder(base)
            .withRequestTimeout(millis)
            .withConnectionTimeout(millis)
            .withRequestRetryBackoffLimit(0)
            .withWatchReconnectInterval(500)
            .build();
    return new KubernetesClientBuilder()
        .withConfig(tuned)
        .withKubernetesSerialization(Serialization.SHARED)
        .build();
  }

  /**
   * One serializer for every client of the process (its type registry of the whole Kubernetes model
   * is large; an in-process fleet, as in {@code demo --fleet} and the tests, would hold one each).
   */
  private static final class Serialization {
    static final KubernetesSerialization SHARED = new KubernetesSerialization();
  }

  /** The TLS context of {@code rollout.coordination.tls}, or {@code null} without it. */
  private static SSLContext tls(BackendTlsConfig tls) {
    if (tls == null) {
      return null;
    }
    try {
      return EtcdTls.context(tls);
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * The etcd user and the password read from {@code passwordFile} now, or {@code null} without
   * {@code username}.
   *
   * @throws IllegalArgumentException naming {@code rollout.coordination.passwordFile} when it
   *     cannot be read (it was readable when the config was loaded)
   */
  private static EtcdClient.Credentials credentials(CoordinationConfig config) {
    if (config.username() == null) {
      return null;
    }
    try {
      return new EtcdClient.Credentials(config.username(), ConfigFiles.readEtcdPassword(config));
    } catch (ConfigException e) {
      throw new IllegalArgumentException(String.join("\n", e.errors()), e);
    }
  }
}
