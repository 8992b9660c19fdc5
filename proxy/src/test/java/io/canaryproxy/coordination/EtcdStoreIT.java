package io.canaryproxy.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.analysis.RolloutState;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.analysis.RolloutStore;
import io.canaryproxy.testing.EtcdServer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The etcd store's primitives against a real etcd: compare-and-set, watch, lease expiry. */
class EtcdStoreIT {
  @TempDir Path dir;

  private EtcdServer etcd;
  private EtcdClient client;

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdServer.start(dir, "EtcdStoreIT");
    client = new EtcdClient(List.of(etcd.endpoint()), Duration.ofSeconds(2), (n, ok) -> {});
  }

  @AfterEach
  void stop() throws Exception {
    if (client != null) {
      client.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aWriterThatMissedAChangeIsRefusedUntilItFollowsIt() throws IOException {
    FleetRolloutStore a = store("a");
    FleetRolloutStore b = store("b");
    assertThat(a.load()).isEmpty();
    assertThat(b.load()).isEmpty();

    a.save(status(RolloutState.PROGRESSING, 1));
    // b still believes there is no state: its write would undo a's step
    assertThatThrownBy(() -> b.save(status(RolloutState.ROLLED_BACK, 0)))
        .isInstanceOf(RolloutStore.ConflictException.class)
        .hasMessageContaining("changed since revision 0");
    assertThat(b.lastSaveFailed()).isTrue();
    assertThat(a.load().orElseThrow().step()).isEqualTo(1);

    RolloutStatus seen = b.load().orElseThrow();
    assertThat(seen.step()).isEqualTo(1);
    b.save(status(RolloutState.ROLLED_BACK, 1));
    assertThat(b.lastSaveFailed()).isFalse();
    assertThat(a.load().orElseThrow().state()).isEqualTo(RolloutState.ROLLED_BACK);
  }

  @Test
  void aWatchDeliversEveryChangeFromItsRevision() throws Exception {
    long start = client.put("/w/ctl/state", bytes("one"), 0);
    client.put("/w/ctl/state", bytes("two"), 0);
    List<String> seen = new CopyOnWriteArrayList<>();
    AtomicReference<InputStream> stream = new AtomicReference<>();
    Thread t =
        new Thread(
            () -> {
              try {
                client.watch(
                    "/w/ctl/",
                    EtcdClient.prefixEnd("/w/ctl/"),
                    start,
                    stream::set,
                    events ->
                        events.forEach(
                            e -> seen.add(new String(e.kv().value(), StandardCharsets.UTF_8))));
              } catch (IOException | InterruptedException e) {
                // closing the stream ends the watch
              }
            });
    t.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 2);
    client.put("/w/ctl/state", bytes("three"), 0);
    client.put("/w/other", bytes("not watched"), 0);
    await().atMost(Duration.ofSeconds(10)).until(() -> seen.size() == 3);
    assertThat(seen).containsExactly("one", "two", "three");
    stream.get().close();
    t.join(10_000);
    assertThat(t.isAlive()).isFalse();
  }

  @Test
  void keysOfALeaseThatIsNotRenewedGoAwayAndOnlyOneReplicaGetsTheLeaderKey() throws Exception {
    long lease = client.grant(Duration.ofSeconds(3));
    long other = client.grant(Duration.ofSeconds(3));
    assertThat(client.putIfAbsent("/l/ctl/leader", bytes("a"), lease)).isTrue();
    assertThat(client.putIfAbsent("/l/ctl/leader", bytes("b"), other)).isFalse();
    assertThat(client.keepAlive(lease)).isTrue();

    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> client.get("/l/ctl/leader").kvs().isEmpty());
    assertThat(client.keepAlive(lease)).isFalse();
    long renewed = client.grant(Duration.ofSeconds(3));
    assertThat(client.putIfAbsent("/l/ctl/leader", bytes("b"), renewed)).isTrue();
  }

  private FleetRolloutStore store(String writer) {
    return new FleetRolloutStore(
        new EtcdFleetStore(client, "/cas", writer, Duration.ofSeconds(3)),
        s -> new FleetDocument(s, writer, null, null),
        (revision, status) -> {});
  }

  private static RolloutStatus status(RolloutState state, int step) {
    return new RolloutStatus(
        state, step * 10.0, step, List.of(10.0, 50.0, 100.0), false, 0, "now", "", List.of());
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
