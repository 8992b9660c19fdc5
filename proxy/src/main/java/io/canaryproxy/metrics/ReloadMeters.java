package io.canaryproxy.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * {@link MetricNames#CONFIG_RELOADS} by outcome: {@code success} when a new config went live,
 * {@code failure} when a changed file was rejected and the running config stayed.
 */
public final class ReloadMeters {
  private final Counter successes;
  private final Counter failures;

  /** Registers both counters in {@code registry}, so that both show 0 before the first reload. */
  public ReloadMeters(MeterRegistry registry) {
    this.successes = counter(registry, "success");
    this.failures = counter(registry, "failure");
  }

  private static Counter counter(MeterRegistry registry, String outcome) {
    return Counter.builder(MetricNames.CONFIG_RELOADS)
        .description("Config reloads by outcome")
        .tag(MetricNames.TAG_OUTCOME, outcome)
        .register(registry);
  }

  /** A new config went live. */
  public void succeeded() {
    successes.increment();
  }

  /** A changed config file was rejected; the running config stays. */
  public void failed() {
    failures.increment();
  }
}
