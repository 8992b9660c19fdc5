package io.canaryproxy.metrics;

import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Variant;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The WebSocket (upgrade) tunnel meters, per variant: {@link MetricNames#UPGRADES} counts the
 * upgrades a backend accepted, {@link MetricNames#TUNNELS_OPEN} the tunnels open now, and {@link
 * MetricNames#TUNNEL_DURATION} how long each lasted, in fixed buckets from 1 s to 6 h. Listens to
 * the forwarder's tunnel events; every series exists (at 0) from the start.
 */
public final class TunnelMeters implements ProxyListener {
  static final Duration[] BUCKETS = {
    Duration.ofSeconds(1),
    Duration.ofSeconds(10),
    Duration.ofMinutes(1),
    Duration.ofMinutes(10),
    Duration.ofHours(1),
    Duration.ofHours(6)
  };

  private static final Variant[] VARIANTS = Variant.values();

  private final Counter[] upgrades = new Counter[VARIANTS.length];
  private final AtomicLong[] open = new AtomicLong[VARIANTS.length];
  private final Timer[] durations = new Timer[VARIANTS.length];

  /**
   * Registers the meters of every primary variant ({@code stable}, {@code canary}, {@code other}).
   */
  public TunnelMeters(MeterRegistry registry) {
    for (Variant v : VARIANTS) {
      if (v == Variant.SHADOW) {
        continue; // a mirrored copy is never upgraded
      }
      int i = v.ordinal();
      upgrades[i] =
          Counter.builder(MetricNames.UPGRADES)
              .description("Upgrade requests a backend accepted with 101 (tunnels opened)")
              .tag(MetricNames.TAG_VARIANT, v.label())
              .register(registry);
      open[i] = new AtomicLong();
      Gauge.builder(MetricNames.TUNNELS_OPEN, open[i], AtomicLong::get)
          .description("WebSocket (upgrade) tunnels open now")
          .tag(MetricNames.TAG_VARIANT, v.label())
          .register(registry);
      durations[i] =
          Timer.builder(MetricNames.TUNNEL_DURATION)
              .description("How long each tunnel stayed open")
              .tag(MetricNames.TAG_VARIANT, v.label())
              .serviceLevelObjectives(BUCKETS)
              .publishPercentileHistogram(false)
              .register(registry);
    }
  }

  @Override
  public void onTunnelOpened(Variant variant) {
    int i = index(variant);
    upgrades[i].increment();
    open[i].incrementAndGet();
  }

  @Override
  public void onTunnelClosed(Variant variant, long durationNanos) {
    int i = index(variant);
    open[i].decrementAndGet();
    durations[i].record(durationNanos, TimeUnit.NANOSECONDS);
  }

  private static int index(Variant v) {
    return (v == null || v == Variant.SHADOW ? Variant.OTHER : v).ordinal();
  }
}
