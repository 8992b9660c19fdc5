/*
 * Cost of recording one latency into an HdrHistogram Recorder, as the load generator does per response.
 *
 * Run (after `mvn -B -pl bench -am package -DskipTests`):
 *   java -jar bench/target/canary-bench.jar jmh -prof gc RecorderBenchmark
 * or equivalently:
 *   java -cp bench/target/canary-bench.jar org.openjdk.jmh.Main -prof gc RecorderBenchmark
 * Read ns/op in the score column and B/op in gc.alloc.rate.norm (expected: 0 B/op once warm).
 */
package io.canaryproxy.bench.jmh;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Recorder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code Recorder.recordValue} with latencies spread over 10 us .. 10 s, microsecond units, 3
 * digits.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class RecorderBenchmark {
  private static final int VALUES = 4096;

  private Recorder recorder;
  private long[] values;
  private int next;

  @Setup
  public void setUp() {
    recorder = new Recorder(1, 2L * 3600 * 1_000_000, 3);
    SplittableRandom random = new SplittableRandom(42);
    values = new long[VALUES];
    for (int i = 0; i < VALUES; i++) {
      values[i] = (long) Math.pow(10, 1 + 6 * random.nextDouble());
    }
  }

  /**
   * One recordValue call; the value cycles through a pre-drawn table so nothing is constant-folded.
   */
  @Benchmark
  @Warmup(iterations = 3, time = 1)
  @Measurement(iterations = 5, time = 1)
  @Fork(1)
  public void recordValue() {
    recorder.recordValue(values[next]);
    next = (next + 1) & (VALUES - 1);
  }
}
