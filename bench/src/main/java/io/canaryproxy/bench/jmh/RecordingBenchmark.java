/*
 * Cost of recording one completed request on the proxy's event loop: LatencyRecorders.record and the Micrometer
 * binding. Both must allocate nothing (check gc.alloc.rate.norm ~ 0 B/op).
 *
 * Run from the repository root:
 *   mvn -q -B install -DskipTests
 *   mvn -q -B -pl bench dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   java -cp "$(cat bench/cp.txt):bench/target/classes" org.openjdk.jmh.Main RecordingBenchmark -prof gc
 * Add "-f 1 -wi 2 -i 3 -w 1s -r 1s" for a quick look.
 */
package io.canaryproxy.bench.jmh;

import io.canaryproxy.config.MetricsConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.MicrometerBinding;
import io.canaryproxy.routing.Variant;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecordingBenchmark {
  private static final int VALUES = 1024;

  private LatencyRecorders recorders;
  private MicrometerBinding binding;
  private final long[] totals = new long[VALUES];
  private final Exchange[] exchanges = new Exchange[VALUES];
  private final Variant[] variants = {Variant.STABLE, Variant.CANARY};
  private int i;

  @Setup(Level.Trial)
  public void setUp() {
    recorders =
        new LatencyRecorders(new MetricsConfig(1, 60_000_000, 3, Duration.ofSeconds(10), 30));
    binding = new MicrometerBinding(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
    Random random = new Random(1);
    for (int k = 0; k < VALUES; k++) {
      // Log-spread latencies from 1 µs to ~1 s, so many histogram buckets are touched.
      totals[k] = (long) Math.exp(random.nextDouble() * 14);
      Exchange x = new Exchange();
      x.route.variant = variants[k & 1];
      x.status = k % 50 == 0 ? 503 : 200;
      x.startNanos = 1_000_000;
      x.upstreamSentNanos = x.startNanos + 10_000;
      x.upstreamHeadersNanos = x.upstreamSentNanos + totals[k] * 900;
      x.endNanos = x.startNanos + totals[k] * 1000;
      exchanges[k] = x;
    }
  }

  @TearDown(Level.Iteration)
  public void roll() {
    // What the scheduler does every interval; keeps the recorders' buffers from only ever growing.
    recorders.rollInterval();
  }

  @Benchmark
  public void latencyRecordersRecord() {
    int k = i++ & (VALUES - 1);
    long total = totals[k];
    recorders.record(variants[k & 1], total, total - (total >> 3), (k & 63) == 0);
  }

  @Benchmark
  public void latencyRecordersOnExchange() {
    recorders.onExchangeComplete(exchanges[i++ & (VALUES - 1)]);
  }

  @Benchmark
  public void micrometerOnExchange() {
    binding.onExchangeComplete(exchanges[i++ & (VALUES - 1)]);
  }
}
