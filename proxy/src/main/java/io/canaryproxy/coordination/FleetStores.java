package io.canaryproxy.coordination;

import io.canaryproxy.config.ConfigException;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.CoordinationConfig;
import io.canaryproxy.metrics.MetricNames;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** Makes the {@link FleetStore} that {@code rollout.coordination.store} names. */
final class FleetStores {
  private FleetStores() {}

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
            new EtcdClient(config.endpoints(), timeout, calls, credentials(config)),
            config.prefix(),
            replicaId,
            config.leaseTtl());
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
