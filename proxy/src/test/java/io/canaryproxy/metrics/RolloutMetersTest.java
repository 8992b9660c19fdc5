package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.metrics.PrometheusText.Sample;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RolloutMetersTest {
  private static final List<String> STATES =
      List.of("idle", "progressing", "paused", "promoted", "rolledBack");

  private final MicrometerBinding binding = new MicrometerBinding();
  private final AtomicReference<String> state = new AtomicReference<>("progressing");
  private final AtomicReference<Double> percent = new AtomicReference<>(5.0);

  @AfterEach
  void close() {
    binding.close();
  }

  private Map<String, Double> stateSeries() {
    return PrometheusText.parseStrict(binding.prometheusRegistry().scrape()).stream()
        .filter(s -> s.name().equals("canary_proxy_rollout_state"))
        .collect(Collectors.toMap(s -> s.labels().get("state"), Sample::value));
  }

  private double percentNow() {
    return PrometheusText.parseStrict(binding.prometheusRegistry().scrape()).stream()
        .filter(s -> s.name().equals("canary_proxy_rollout_canary_percent"))
        .mapToDouble(Sample::value)
        .findFirst()
        .orElseThrow();
  }

  @Test
  void exactlyTheCurrentStateIsOneAndThePercentFollowsTheRouter() {
    RolloutMeters.bindTo(binding.registry(), percent::get, state::get, STATES);

    assertThat(stateSeries())
        .isEqualTo(
            Map.of(
                "idle",
                0.0,
                "progressing",
                1.0,
                "paused",
                0.0,
                "promoted",
                0.0,
                "rolledBack",
                0.0));
    assertThat(percentNow()).isEqualTo(5.0);

    state.set("rolledBack");
    percent.set(0.0);

    assertThat(stateSeries()).containsEntry("rolledBack", 1.0).containsEntry("progressing", 0.0);
    assertThat(stateSeries().values()).containsOnlyOnce(1.0);
    assertThat(percentNow()).isZero();
  }
}
