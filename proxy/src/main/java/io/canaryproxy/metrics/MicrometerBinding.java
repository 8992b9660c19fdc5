package io.canaryproxy.metrics;

import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.routing.Variant;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.netty4.NettyAllocatorMetrics;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.PooledByteBufAllocator;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Exports the proxy's lifecycle events to a Prometheus registry. Every request-path meter is
 * created up front and held in arrays indexed by variant and status class or failure type, so a
 * request does no map lookup and allocates nothing; labels only ever take those bounded values. The
 * two duration histograms are {@link DurationHistogram}s registered with the registry's Prometheus
 * side (they export what Micrometer timers did, for a fraction of the cost per request). Meter
 * names live in {@link MetricNames}.
 */
public final class MicrometerBinding implements ProxyListener, AutoCloseable {
  /** Bucket bounds of the duration histograms: fixed, so they can be summed across replicas. */
  static final Duration[] BUCKETS = {
    ms(1),
    ms(2),
    ms(5),
    ms(10),
    ms(25),
    ms(50),
    ms(100),
    ms(250),
    ms(500),
    ms(1_000),
    ms(2_500),
    ms(5_000),
    ms(10_000),
    ms(30_000)
  };

  private static final Variant[] VARIANTS = Variant.values();
  private static final UpstreamFailure[] FAILURES = UpstreamFailure.values();

  private final PrometheusMeterRegistry registry;
  private final Clock clock;
  private final RequestCounters[] requests; // [variant]
  private final DurationHistogram requestDurations;
  private final DurationHistogram.Series[] totalDurations; // [variant]
  private final DurationHistogram.Series[] upstreamDurations; // [variant]
  private final Counter[][] failures; // [variant][failure]
  private final AtomicLong clientConnections = new AtomicLong();
  private final AtomicLong backendConnections = new AtomicLong();
  private JvmGcMetrics gcMetrics;

  /** A new Prometheus registry with the proxy, JVM and Netty allocator meters. */
  public MicrometerBinding() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), true);
  }

  /**
   * Binds to {@code registry}, which must have no meters yet (the name prefix filter applies only
   * to later ones).
   *
   * @param bindJvm also bind the JVM's memory, GC, thread and class loader meters (through its
   *     management beans); the Netty pooled allocator meters are always bound
   */
  public MicrometerBinding(PrometheusMeterRegistry registry, boolean bindJvm) {
    this.registry = registry;
    // Clock.SYSTEM outside tests: its monotonic time is System.nanoTime, the clock of Exchange's
    // times.
    this.clock = registry.config().clock();
    registry.config().meterFilter(prefixFilter());
    int nv = VARIANTS.length;
    requests = new RequestCounters[nv];
    failures = new Counter[nv][FAILURES.length];
    requestDurations =
        durationHistogram(MetricNames.REQUEST_DURATION, "First request byte to last response byte");
    DurationHistogram upstream =
        durationHistogram(
            MetricNames.UPSTREAM_DURATION, "Request sent to the backend until its response head");
    totalDurations = new DurationHistogram.Series[nv];
    upstreamDurations = new DurationHistogram.Series[nv];
    for (Variant v : VARIANTS) {
      int i = v.ordinal();
      requests[i] = new RequestCounters(registry, v.label());
      for (UpstreamFailure f : FAILURES) {
        failures[i][f.ordinal()] =
            Counter.builder(MetricNames.UPSTREAM_FAILURES)
                .description("Requests a backend failed, by variant and failure type")
                .tags(MetricNames.TAG_VARIANT, v.label(), MetricNames.TAG_TYPE, f.tag())
                .register(registry);
      }
      totalDurations[i] = requestDurations.series(v.label());
      upstreamDurations[i] = upstream.series(v.label());
    }
    Gauge.builder(MetricNames.CLIENT_CONNECTIONS, clientConnections, AtomicLong::get)
        .description("Open client connections")
        .register(registry);
    Gauge.builder(MetricNames.BACKEND_CONNECTIONS, backendConnections, AtomicLong::get)
        .description("Open backend connections")
        .register(registry);
    if (bindJvm) {
      // No JvmInfoMetrics, ProcessorMetrics or UptimeMetrics: the admin port must not tell
      // strangers versions.
      new JvmMemoryMetrics().bindTo(registry);
      gcMetrics = new JvmGcMetrics();
      gcMetrics.bindTo(registry);
      new JvmThreadMetrics().bindTo(registry);
      new ClassLoaderMetrics().bindTo(registry);
    }
    // Netty's allocator meters read the allocator itself, not the JVM's management beans, so
    // they stay when the JVM meters are off (metrics.jvmMeters: false).
    new NettyAllocatorMetrics(PooledByteBufAllocator.DEFAULT).bindTo(registry);
  }

  private static Duration ms(long millis) {
    return Duration.ofMillis(millis);
  }

  private static MeterFilter prefixFilter() {
    return new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        if (id.getName().startsWith(MetricNames.PREFIX)) {
          return id;
        }
        Meter.Id renamed = id.withName(MetricNames.PREFIX + id.getName());
        if (id.getName().startsWith("netty.allocator.")) {
          // The binder tags each allocator with its identity hash: a new series on every restart,
          // for one allocator.
          List<Tag> tags = new ArrayList<>();
          for (Tag t : id.getTagsAsIterable()) {
            if (!t.getKey().equals("id")) {
              tags.add(t);
            }
          }
          renamed = renamed.replaceTags(tags);
        }
        return renamed;
      }
    };
  }

  /**
   * A histogram exported as a Micrometer timer named {@code name} with {@link #BUCKETS} as its
   * service-level objectives would be, under the registry's naming convention ({@code _seconds}).
   */
  private DurationHistogram durationHistogram(String name, String description) {
    DurationHistogram h =
        new DurationHistogram(
            registry.config().namingConvention().name(name, Meter.Type.TIMER),
            description,
            BUCKETS,
            // The decaying max of a Prometheus registry's timers rotates every step.
            PrometheusConfig.DEFAULT.step(),
            clock);
    registry.getPrometheusRegistry().register(h);
    return h;
  }

  /** The {@code canary_proxy_request_duration_seconds} histogram, for experiment arms' series. */
  DurationHistogram requestDurations() {
    return requestDurations;
  }

  /**
   * The registry, for other code to add meters, e.g. mirroring under {@link
   * MetricNames#MIRROR_PREFIX}.
   */
  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus registry, for scraping. */
  public PrometheusMeterRegistry prometheusRegistry() {
    return registry;
  }

  @Override
  public void onExchangeComplete(Exchange exchange) {
    if (exchange.route.arm != null) {
      return; // an experiment arm's request: ExperimentMetrics counts it under the arm's name
    }
    int v = variantIndex(exchange.variant());
    requests[v].increment(exchange.status, exchange.grpcStatus);
    long total = exchange.totalNanos();
    long upstream = exchange.upstreamNanos();
    if (total < 0 && upstream < 0) {
      return;
    }
    // The end of the exchange is now: no clock read (one that never ended reads the clock).
    long now = exchange.endNanos != 0 ? exchange.endNanos : clock.monotonicTime();
    int stripe = ThreadStripe.current();
    if (total >= 0) {
      totalDurations[v].record(stripe, total, now);
    }
    if (upstream >= 0) {
      upstreamDurations[v].record(stripe, upstream, now);
    }
  }

  @Override
  public void onUpstreamFailure(String backend, Exchange exchange, UpstreamFailure failure) {
    failures[variantIndex(exchange.variant())][failure.ordinal()].increment();
  }

  @Override
  public void onClientConnection(int delta) {
    clientConnections.addAndGet(delta);
  }

  @Override
  public void onBackendConnection(int delta) {
    backendConnections.addAndGet(delta);
  }

  /** Rare (an abuse ends a connection): the registry's own lookup is cheap enough. */
  @Override
  public void onHttp2GoAway(String type) {
    Counter.builder(MetricNames.HTTP2_GOAWAYS)
        .description("HTTP/2 client connections ended with GOAWAY for an abuse or protocol error")
        .tag(MetricNames.TAG_TYPE, type)
        .register(registry)
        .increment();
  }

  /** Removes the GC notification listener; the registry is left to its owner. */
  @Override
  public void close() {
    if (gcMetrics != null) {
      gcMetrics.close();
    }
  }

  private static int variantIndex(Variant v) {
    return (v == null ? Variant.OTHER : v).ordinal();
  }

  /** 0 for "none" (no status sent or out of range), else the hundreds digit. */
  static int statusClass(int status) {
    return status >= 100 && status <= 599 ? status / 100 : 0;
  }
}
