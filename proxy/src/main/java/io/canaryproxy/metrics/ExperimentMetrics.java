package io.canaryproxy.metrics;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Meters and a latency histogram for each arm of {@code routing.experiments}: the request meters of
 * {@link MicrometerBinding} ({@code canary_proxy_requests_total}, {@code
 * canary_proxy_request_duration_seconds}) with {@code variant} set to the arm's name, and an
 * HdrHistogram {@link Recorder} per arm, folded into a cumulative histogram at each {@link #roll}
 * (the interval boundaries of {@link LatencyRecorders}, so an arm and stable cover the same time).
 * The label stays bounded: at most {@link #MAX_ARMS} names are ever registered, whatever reloads
 * do; later ones are not measured and a warning says so. Recording allocates nothing.
 */
public final class ExperimentMetrics implements ProxyListener {
  private static final Logger log = LoggerFactory.getLogger(ExperimentMetrics.class);

  /** The most arm names registered over the process's life (twice {@code RoutingConfig}'s cap). */
  public static final int MAX_ARMS = 16;

  /** One arm's meters. */
  private final class Slot {
    final String name;
    final RequestCounters requests;
    final DurationHistogram.Series total;
    final Recorder latency = new Recorder(lowest, highest, digits);
    final LongAdder count = new LongAdder();
    final LongAdder errors = new LongAdder();
    // Guarded by ExperimentMetrics.this.
    Histogram recycled;
    final Histogram cumulative = new Histogram(lowest, highest, digits);
    long cumulativeRequests;
    long cumulativeErrors;

    Slot(String name) {
      this.name = name;
      requests = new RequestCounters(registry, name);
      total = durations.series(name);
    }
  }

  /** One arm's cumulative numbers: latency in microseconds (a copy), requests and errors. */
  public record ArmSample(String name, Histogram latencyMicros, long requests, long errors) {}

  private final MeterRegistry registry;
  private final DurationHistogram durations;
  private final long lowest;
  private final long highest;
  private final int digits;

  /** Every slot ever registered, in order; replaced (never changed) under "this". */
  private volatile Slot[] slots = new Slot[0];

  /** The arms of the live routing table, in order. */
  private volatile List<String> live = List.of();

  /**
   * Meters in {@code binding}'s registry (the duration series beside the variants' own); histograms
   * with the range and precision of {@code cfg}.
   */
  public ExperimentMetrics(MicrometerBinding binding, MetricsConfig cfg) {
    this.registry = binding.registry();
    this.durations = binding.requestDurations();
    this.lowest = cfg.lowestMicros();
    this.highest = cfg.highestMicros();
    this.digits = cfg.significantDigits();
  }

  /**
   * The arms of the routing table now live (at start and after each reload): registers meters for
   * the names not seen before, up to {@link #MAX_ARMS}.
   */
  public synchronized void arms(List<String> names) {
    List<Slot> all = new ArrayList<>(List.of(slots));
    for (String name : names) {
      if (slot(name) != null) {
        continue;
      }
      if (all.size() >= MAX_ARMS) {
        log.warn("experiment arm {} is not measured: {} arm names were registered", name, MAX_ARMS);
        continue;
      }
      all.add(new Slot(name));
      slots = all.toArray(new Slot[0]);
    }
    live = List.copyOf(names);
  }

  @Override
  public void onExchangeComplete(Exchange exchange) {
    String arm = exchange.route.arm;
    if (arm == null) {
      return;
    }
    Slot s = slot(arm);
    if (s == null) {
      return;
    }
    s.requests.increment(exchange.status, exchange.grpcStatus);
    long total = exchange.totalNanos();
    if (total >= 0) {
      s.total.record(ThreadStripe.current(), total, exchange.endNanos);
      s.latency.recordValue(Math.min(TimeUnit.NANOSECONDS.toMicros(total), highest));
    }
    s.count.increment();
    if (exchange.isError()) {
      s.errors.increment();
    }
  }

  /** Folds the interval that just ended into each arm's cumulative numbers. */
  public synchronized void roll() {
    for (Slot s : slots) {
      Histogram interval = s.latency.getIntervalHistogram(s.recycled);
      s.recycled = interval;
      s.cumulative.add(interval);
      s.cumulativeRequests += s.count.sumThenReset();
      s.cumulativeErrors += s.errors.sumThenReset();
    }
  }

  /** The live arms' numbers since start, up to the last {@link #roll}, in routing order. */
  public synchronized List<ArmSample> cumulative() {
    List<ArmSample> out = new ArrayList<>();
    for (String name : live) {
      Slot s = slot(name);
      if (s != null) {
        out.add(new ArmSample(name, s.cumulative.copy(), s.cumulativeRequests, s.cumulativeErrors));
      }
    }
    return out;
  }

  private Slot slot(String name) {
    for (Slot s : slots) {
      if (s.name.equals(name)) {
        return s;
      }
    }
    return null;
  }
}
