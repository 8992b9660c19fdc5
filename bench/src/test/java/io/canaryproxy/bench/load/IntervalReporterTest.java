package io.canaryproxy.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.bench.report.BenchResult;
import io.canaryproxy.pool.Transports;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.HdrHistogram.EncodableHistogram;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogReader;
import org.HdrHistogram.Recorder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@link IntervalReporter} by hand, with a response recorded at a chosen point inside a tick
 * to stand in for an event loop that completes a request while the reporter is swapping intervals.
 */
class IntervalReporterTest {
  private static final long MS = 1_000_000;

  @TempDir Path dir;

  private final EventLoopGroup group = Transports.newGroup(1, "reporter-test");

  @AfterEach
  void shutDown() {
    group.shutdownGracefully(0, 0, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** A recorder that runs {@code onSwap} once, right after its next interval swap. */
  private static final class SwapHookRecorder extends Recorder {
    Runnable onSwap;

    SwapHookRecorder() {
      super(1, Recording.HIGHEST_US, 3);
    }

    @Override
    public synchronized Histogram getIntervalHistogram() {
      Histogram h = super.getIntervalHistogram();
      Runnable r = onSwap;
      onSwap = null;
      if (r != null) {
        r.run();
      }
      return h;
    }
  }

  private LoadGenerator.Run run(Recording recording) {
    LoadSpec spec =
        LoadSpec.builder(URI.create("http://127.0.0.1:1/"))
            .rate(300)
            .duration(Duration.ofSeconds(2))
            .warmup(Duration.ofMillis(500))
            .build();
    LoadGenerator.Run run = new LoadGenerator.Run(spec, group, recording);
    // The measurement started three seconds ago, so a tick closes an interval.
    run.begin(System.nanoTime() - 3_500 * MS);
    return run;
  }

  private static long logged(Path hlog) throws Exception {
    long total = 0;
    HistogramLogReader reader = new HistogramLogReader(hlog.toFile());
    try {
      for (EncodableHistogram h = reader.nextIntervalHistogram();
          h != null;
          h = reader.nextIntervalHistogram()) {
        total += ((Histogram) h).getTotalCount();
      }
    } finally {
      reader.close();
    }
    return total;
  }

  @Test
  void aResponseRecordedWhileATickSwapsIsInTheLastInterval() throws Exception {
    SwapHookRecorder corrected = new SwapHookRecorder();
    Recording recording = new Recording(corrected, new Recorder(1, Recording.HIGHEST_US, 3));
    LoadGenerator.Run run = run(recording);
    Path hlog = dir.resolve("run.hlog");
    BenchResult r;
    try (IntervalReporter reporter = new IntervalReporter(run, null, hlog)) {
      recording.response(0, 0, MS, 200, null);
      // The last response completes after the tick took the interval histogram but before it read
      // the request counter: its latency lands in the next interval, its count in this one.
      corrected.onSwap = () -> recording.response(0, 0, 2 * MS, 200, null);
      reporter.tick();
      // The run has drained; nothing else is recorded.
      reporter.finalTick();
      r = reporter.result(null);
    }
    assertThat(r.requests()).isEqualTo(2);
    assertThat(r.corrected().getTotalCount()).isEqualTo(r.requests());
    assertThat(r.uncorrected().getTotalCount()).isEqualTo(r.requests());
    assertThat(logged(hlog)).isEqualTo(r.requests());
    assertThat(r.perSecond().stream().mapToLong(BenchResult.Interval::requests).sum())
        .isEqualTo(r.requests());
  }

  @Test
  void aFinalTickWithNothingNewAddsNoInterval() throws Exception {
    Recording recording = new Recording();
    LoadGenerator.Run run = run(recording);
    Path hlog = dir.resolve("run.hlog");
    BenchResult r;
    try (IntervalReporter reporter = new IntervalReporter(run, null, hlog)) {
      recording.response(0, 0, MS, 200, null);
      reporter.tick();
      reporter.finalTick();
      r = reporter.result(null);
    }
    assertThat(r.perSecond()).hasSize(1);
    assertThat(r.requests()).isEqualTo(1);
    assertThat(logged(hlog)).isEqualTo(1);
  }
}
