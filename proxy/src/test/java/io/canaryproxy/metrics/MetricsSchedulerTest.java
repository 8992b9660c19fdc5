package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.routing.Variant;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.Test;

class MetricsSchedulerTest {
  @Test
  void rollsEveryIntervalAndNotifiesListenersEvenAfterOneThrows() throws Exception {
    LatencyRecorders recorders =
        new LatencyRecorders(new MetricsConfig(1, 60_000_000, 3, Duration.ofMillis(20), 5));
    MetricsScheduler scheduler = new MetricsScheduler(recorders, Duration.ofMillis(20));
    List<IntervalSnapshot> seen = new CopyOnWriteArrayList<>();
    scheduler.addListener(
        s -> {
          throw new IllegalStateException("a broken subscriber");
        });
    scheduler.addListener(seen::add);
    recorders.record(Variant.CANARY, 30_000, 29_000, false);
    ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor();
    try {
      scheduler.start(executor);
      await().atMost(Duration.ofSeconds(5)).until(() -> seen.size() >= 3);
    } finally {
      scheduler.stop();
      executor.shutdownNow();
    }

    long canaryRequests = seen.stream().mapToLong(s -> s.variant(Variant.CANARY).requests()).sum();
    assertThat(canaryRequests).isEqualTo(1);
    assertThat(recorders.window()).hasSizeGreaterThanOrEqualTo(3);
  }
}
