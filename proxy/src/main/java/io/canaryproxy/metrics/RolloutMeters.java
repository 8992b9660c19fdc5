package io.canaryproxy.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.function.DoubleSupplier;
import java.util.function.Supplier;

/**
 * The rollout as gauges, read at scrape time: {@code canary_proxy_rollout_canary_percent} and
 * {@code canary_proxy_rollout_state{state}}, one series per state name (a bounded set) with 1 for
 * the current state and 0 for the others, so that {@code max_over_time} and alerts need no label
 * arithmetic.
 */
public final class RolloutMeters {
  private RolloutMeters() {}

  /**
   * @param canaryPercent the share routed to the canary now, 0..100
   * @param state the current state's name, one of {@code states}
   * @param states every state name, e.g. {@code idle, progressing, paused, promoted, rolledBack}
   */
  public static void bindTo(
      MeterRegistry registry,
      DoubleSupplier canaryPercent,
      Supplier<String> state,
      List<String> states) {
    Gauge.builder(MetricNames.ROLLOUT_CANARY_PERCENT, canaryPercent, DoubleSupplier::getAsDouble)
        .description("Share of users routed to the canary now, 0..100")
        .strongReference(true)
        .register(registry);
    for (String name : states) {
      Gauge.builder(MetricNames.ROLLOUT_STATE, state, s -> name.equals(s.get()) ? 1.0 : 0.0)
          .description("1 for the rollout's current state, 0 for the others")
          .tag(MetricNames.TAG_STATE, name)
          .strongReference(true)
          .register(registry);
    }
  }
}
