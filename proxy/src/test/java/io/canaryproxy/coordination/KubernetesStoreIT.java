package io.canaryproxy.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.analysis.RolloutStore;
import io.canaryproxy.testing.KubernetesApiServer;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link KubernetesFleetStore} against fabric8's Kubernetes API server in CRUD mode on a loopback
 * port (no real API server runs here; see {@link KubernetesApiServer}): the state's
 * compare-and-set, the Lease's election and take-over, and the evidence TTL the leader enforces.
 */
class KubernetesStoreIT {
  private static final Duration TTL = Duration.ofSeconds(3);

  @TempDir Path dir;

  private final StepClock clock = new StepClock(Instant.parse("2026-12-02T05:00:00Z"));
  private final List<KubernetesFleetStore> stores = new ArrayList<>();
  private KubernetesApiServer api;

  @BeforeEach
  void start() throws Exception {
    api = KubernetesApiServer.start(dir);
  }

  @AfterEach
  void stop() {
    stores.forEach(KubernetesFleetStore::close);
    if (api != null) {
      api.close();
    }
  }

  @Test
  void aWriterThatMissedAChangeIsRefusedUntilItFollowsIt() throws Exception {
    FleetRolloutStore a = rollout(store("a"), "a");
    FleetRolloutStore b = rollout(store("b"), "b");
    assertThat(a.load()).isEmpty();
    assertThat(b.load()).isEmpty();

    a.save(status(RolloutState.PROGRESSING, 1));
    // b still believes there is no state: its write would undo a's step
    assertThatThrownBy(() -> b.save(status(RolloutState.ROLLED_BACK, 0)))
        .isInstanceOf(RolloutStore.ConflictException.class)
        .hasMessageContaining("changed since revision 0");
    assertThat(a.load().orElseThrow().step()).isEqualTo(1);

    assertThat(b.load().orElseThrow().step()).isEqualTo(1);
    b.save(status(RolloutState.ROLLED_BACK, 1));
    assertThat(b.lastSaveFailed()).isFalse();
    // and now a is the one behind
    assertThatThrownBy(() -> a.save(status(RolloutState.PROGRESSING, 2)))
        .isInstanceOf(RolloutStore.ConflictException.class);
    assertThat(a.load().orElseThrow().state()).isEqualTo(RolloutState.ROLLED_BACK);
  }

  @Test
  void oneReplicaHoldsTheLeaseUntilItLapsesThenAnotherTakesItOver() throws Exception {
    KubernetesFleetStore a = store("a");
    KubernetesFleetStore b = store("b");
    assertThat(a.campaign()).isEqualTo(new FleetStore.Campaign(true, "a"));
    assertThat(b.campaign()).isEqualTo(new FleetStore.Campaign(false, "a"));
    assertThat(a.renew(true)).isTrue();

    clock.advance(TTL.minusMillis(1));
    assertThat(b.renew(false)).isTrue();
    assertThat(b.lapsed("a")).isFalse();
    assertThat(b.campaign().won()).isFalse();

    clock.advance(Duration.ofMillis(1)); // a renewed nothing for the whole lease duration
    assertThat(b.lapsed("a")).isTrue();
    assertThat(b.campaign()).isEqualTo(new FleetStore.Campaign(true, "b"));
    assertThat(a.renew(true)).as("a learns it lost the lease").isFalse();
    assertThat(a.campaign()).isEqualTo(new FleetStore.Campaign(false, "b"));
  }

  @Test
  void theLeaderTakesEveryReplicasFreshEvidenceOnceAndDropsExpiredIntervals() throws Exception {
    KubernetesFleetStore a = store("host-a/0.0.0.0:8080");
    KubernetesFleetStore b = store("host-b/0.0.0.0:8080");
    a.publish(1, bytes("a1"));
    clock.advance(TTL.plusSeconds(1));
    a.publish(2, bytes("a2"));
    b.publish(1, bytes("b1"));

    assertThat(a.takeEvidence())
        .extracting(v -> new String(v, StandardCharsets.UTF_8))
        .containsExactlyInAnyOrder("a2", "b1"); // a1 is older than the TTL
    assertThat(a.takeEvidence()).isEmpty();
    b.publish(2, bytes("b2"));
    assertThat(b.takeEvidence())
        .extracting(v -> new String(v, StandardCharsets.UTF_8))
        .containsExactly("b2");
  }

  private KubernetesFleetStore store(String replica) {
    KubernetesClient client =
        new KubernetesClientBuilder()
            .withConfig(Config.fromKubeconfig(api.kubeconfig().toFile()))
            .build();
    KubernetesFleetStore s =
        new KubernetesFleetStore(
            client, "fleet-it", "store-it", replica, TTL, clock, (n, ok) -> {});
    stores.add(s);
    return s;
  }

  private static FleetRolloutStore rollout(KubernetesFleetStore store, String writer) {
    return new FleetRolloutStore(
        store, s -> new FleetDocument(s, writer, null, null), (revision, status) -> {});
  }

  private static RolloutStatus status(RolloutState state, int step) {
    return new RolloutStatus(
        state, step * 10.0, step, List.of(10.0, 50.0, 100.0), false, 0, "now", "", List.of());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** A clock that moves only when the test says so (the Lease's expiry and the evidence TTL). */
  private static final class StepClock extends Clock {
    private volatile Instant now;

    StepClock(Instant start) {
      now = start;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
