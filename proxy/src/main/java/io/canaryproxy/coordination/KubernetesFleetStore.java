package io.canaryproxy.coordination;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseSpec;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * The fleet on the Kubernetes API, in one namespace. Leadership is the {@code
 * coordination.k8s.io/v1} Lease {@code NAME}: {@code holderIdentity} is the leader, renewed ({@code
 * renewTime}) every third of {@code leaseDurationSeconds}; a Lease whose renew time has not moved
 * for its duration (as seen by this replica's clock, so clock skew does not matter) may be taken
 * over; every change is an update on the {@code resourceVersion} read, so two replicas cannot both
 * take it. The rollout state is the ConfigMap {@code NAME-state} ({@code state}: the document,
 * {@code revision}: a counter each write increments), written by an update on the {@code
 * resourceVersion} of the revision compared: a ConfigMap rather than the Lease's annotations, so
 * that a state write never races a renewal. Each replica publishes its evidence into its own
 * ConfigMap {@code NAME-ev-HASH} (labelled with the fleet) by merge patches, which need no read;
 * the leader takes every key and removes them the same way, ignoring intervals older than {@code
 * leaseTtl} ({@link KubernetesEvidence}). Every call goes through {@link KubernetesApi}.
 */
final class KubernetesFleetStore implements FleetStore {
  static final String FLEET_LABEL = "canary-proxy.io/fleet";
  static final String REPLICA_ANNOTATION = "canary-proxy.io/replica";

  private final KubernetesApi api;
  private final KubernetesClient client;
  private final String namespace;
  private final String lease;
  private final String state;
  private final KubernetesEvidence evidence;
  private final String replicaId;
  private final Duration ttl;
  private final Clock clock;
  private volatile String observedRenew;
  private volatile Instant observedAt;
  private volatile CompletableFuture<Void> watching;

  KubernetesFleetStore(
      KubernetesClient client,
      String namespace,
      String name,
      String replicaId,
      Duration ttl,
      Clock clock,
      EtcdClient.CallListener calls) {
    this.api = new KubernetesApi(client, namespace, calls);
    this.client = client;
    this.namespace = namespace;
    this.lease = name;
    this.state = name + "-state";
    this.evidence = new KubernetesEvidence(api, name, replicaId, ttl, clock);
    this.replicaId = replicaId;
    this.ttl = ttl;
    this.clock = clock;
  }

  @Override
  public String kind() {
    return "kubernetes";
  }

  @Override
  public String describe() {
    return client.getMasterUrl() + " namespace " + namespace + " configmap " + state;
  }

  @Override
  public void open() throws IOException {
    call(() -> client.leases().inNamespace(namespace).withName(lease).get()); // reachable?
  }

  @Override
  public boolean renew(boolean leading) throws IOException {
    Lease held = call(() -> client.leases().inNamespace(namespace).withName(lease).get());
    observe(held);
    if (!leading) {
      return true;
    }
    if (held == null || !replicaId.equals(held.getSpec().getHolderIdentity())) {
      return false; // taken over while this replica could not renew
    }
    held.getSpec().setRenewTime(now());
    return update(held);
  }

  @Override
  public Versioned readState() throws IOException {
    return versioned(call(() -> client.configMaps().inNamespace(namespace).withName(state).get()));
  }

  @Override
  public long compareAndSetState(byte[] value, long expected) throws IOException {
    String doc = new String(value, StandardCharsets.UTF_8);
    long next = expected + 1;
    try {
      if (expected == 0) {
        ConfigMap created =
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName(state)
                .withNamespace(namespace)
                .addToLabels(FLEET_LABEL, lease)
                .endMetadata()
                .addToData("state", doc)
                .addToData("revision", Long.toString(next))
                .build();
        call(() -> client.configMaps().inNamespace(namespace).resource(created).create());
        return next;
      }
      ConfigMap current =
          call(() -> client.configMaps().inNamespace(namespace).withName(state).get());
      Versioned seen = versioned(current);
      if (seen == null || seen.revision() != expected) {
        return -1;
      }
      current.getData().put("state", doc);
      current.getData().put("revision", Long.toString(next));
      // an update carries the resourceVersion read: a write since then makes it fail with 409
      call(() -> client.configMaps().inNamespace(namespace).resource(current).update());
      return next;
    } catch (KubernetesApi.Conflict e) {
      return -1;
    }
  }

  @Override
  public View view() throws IOException {
    Lease held = call(() -> client.leases().inNamespace(namespace).withName(lease).get());
    observe(held);
    return new View(readState(), holder(held));
  }

  @Override
  public Campaign campaign() throws IOException {
    Lease held = call(() -> client.leases().inNamespace(namespace).withName(lease).get());
    observe(held);
    ZonedDateTime now = now();
    if (held == null) {
      Lease mine =
          new LeaseBuilder()
              .withNewMetadata()
              .withName(lease)
              .withNamespace(namespace)
              .endMetadata()
              .withNewSpec()
              .withHolderIdentity(replicaId)
              .withLeaseDurationSeconds((int) ttl.toSeconds())
              .withAcquireTime(now)
              .withRenewTime(now)
              .withLeaseTransitions(0)
              .endSpec()
              .build();
      try {
        call(() -> client.leases().inNamespace(namespace).resource(mine).create());
        return new Campaign(true, replicaId);
      } catch (KubernetesApi.Conflict e) {
        return new Campaign(false, null); // another replica created it first: the watch says who
      }
    }
    String holder = holder(held);
    if (replicaId.equals(holder)) {
      held.getSpec().setRenewTime(now);
      return update(held) ? new Campaign(true, replicaId) : new Campaign(false, null);
    }
    if (holder != null && !lapsed(holder)) {
      return new Campaign(false, holder);
    }
    LeaseSpec spec = held.getSpec();
    spec.setHolderIdentity(replicaId);
    spec.setLeaseDurationSeconds((int) ttl.toSeconds());
    spec.setAcquireTime(now);
    spec.setRenewTime(now);
    spec.setLeaseTransitions(Objects.requireNonNullElse(spec.getLeaseTransitions(), 0) + 1);
    return update(held) ? new Campaign(true, replicaId) : new Campaign(false, holder);
  }

  @Override
  public boolean lapsed(String leader) {
    Instant at = observedAt;
    return leader != null && at != null && !clock.instant().isBefore(at.plus(ttl));
  }

  @Override
  public void watch(Listener listener) throws IOException, InterruptedException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    watching = done;
    Watch leases = null;
    Watch states = null;
    try {
      leases =
          call(
              () ->
                  client
                      .leases()
                      .inNamespace(namespace)
                      .withName(lease)
                      .watch(
                          new Relay<>(done) {
                            @Override
                            public void eventReceived(Action action, Lease l) {
                              observe(action == Action.DELETED ? null : l);
                              listener.leader(action == Action.DELETED ? null : holder(l));
                            }
                          }));
      states =
          call(
              () ->
                  client
                      .configMaps()
                      .inNamespace(namespace)
                      .withName(state)
                      .watch(
                          new Relay<>(done) {
                            @Override
                            public void eventReceived(Action action, ConfigMap m) {
                              Versioned v = action == Action.DELETED ? null : versioned(m);
                              if (v != null) {
                                listener.state(v.revision(), v.value());
                              }
                            }
                          }));
      // what changed between the caller's view and the watches' start
      Versioned now = readState();
      if (now != null) {
        listener.state(now.revision(), now.value());
      }
      done.get();
    } catch (ExecutionException e) {
      throw new IOException("kubernetes watch ended: " + e.getCause().getMessage(), e.getCause());
    } finally {
      if (leases != null) {
        leases.close();
      }
      if (states != null) {
        states.close();
      }
    }
  }

  @Override
  public void stopWatch() {
    CompletableFuture<Void> w = watching;
    if (w != null) {
      w.complete(null);
    }
  }

  @Override
  public void publish(long seq, byte[] value) throws IOException {
    evidence.publish(seq, value);
  }

  @Override
  public List<byte[]> takeEvidence() throws IOException {
    return evidence.take();
  }

  @Override
  public void leave() throws IOException {
    Lease held = call(() -> client.leases().inNamespace(namespace).withName(lease).get());
    if (held != null && replicaId.equals(holder(held))) {
      held.getSpec().setHolderIdentity(null); // released: the others need not wait out the TTL
      update(held);
    }
  }

  @Override
  public void close() {
    stopWatch();
    api.close();
  }

  /** Updates {@code held} on its resourceVersion; false when someone changed it since. */
  private boolean update(Lease held) throws IOException {
    try {
      observe(call(() -> client.leases().inNamespace(namespace).resource(held).update()));
      return true;
    } catch (KubernetesApi.Conflict e) {
      return false;
    }
  }

  /** Notes when this replica saw the Lease's renew time move. */
  private void observe(Lease l) {
    String renew =
        l == null || l.getSpec() == null
            ? null
            : String.valueOf(l.getSpec().getRenewTime()) + holder(l);
    if (!Objects.equals(renew, observedRenew) || observedAt == null) {
      observedRenew = renew;
      observedAt = clock.instant();
    }
  }

  private static String holder(Lease l) {
    if (l == null || l.getSpec() == null) {
      return null;
    }
    String h = l.getSpec().getHolderIdentity();
    return h == null || h.isEmpty() ? null : h;
  }

  private static Versioned versioned(ConfigMap m) {
    if (m == null || m.getData() == null || !m.getData().containsKey("state")) {
      return null;
    }
    return new Versioned(
        Long.parseLong(m.getData().getOrDefault("revision", "0")),
        m.getData().get("state").getBytes(StandardCharsets.UTF_8));
  }

  private ZonedDateTime now() {
    return ZonedDateTime.ofInstant(clock.instant(), ZoneOffset.UTC);
  }

  private <T> T call(KubernetesApi.ApiCall<T> c) throws IOException {
    return api.call(c);
  }

  /** Ends the blocking {@link #watch} when the client gives a watch up. */
  private abstract static class Relay<T> implements Watcher<T> {
    private final CompletableFuture<Void> done;

    Relay(CompletableFuture<Void> done) {
      this.done = done;
    }

    @Override
    public void onClose(WatcherException cause) {
      done.completeExceptionally(cause);
    }

    @Override
    public void onClose() {
      done.complete(null);
    }
  }
}
