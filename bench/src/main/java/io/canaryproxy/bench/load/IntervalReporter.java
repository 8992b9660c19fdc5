package io.canaryproxy.bench.load;

import io.canaryproxy.bench.report.BenchResult;
import io.canaryproxy.pool.Transports;
import java.io.FileNotFoundException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramLogWriter;

/**
 * Once a second: takes the interval histograms from the run's recorders, adds them to the totals,
 * appends the corrected one to the {@code --hlog} interval log and prints the progress line. Runs
 * on the reporting thread, then once more on the caller's thread after the run has drained.
 */
final class IntervalReporter implements AutoCloseable {
  private final LoadGenerator.Run run;
  private final PrintStream progress;
  private final HistogramLogWriter log;
  private final Histogram corrected = new Histogram(1, Recording.HIGHEST_US, 3);
  private final Histogram uncorrected = new Histogram(1, Recording.HIGHEST_US, 3);
  private final List<BenchResult.Interval> intervals = new ArrayList<>();
  private final long baseMillis;
  private long lastMillis;
  private long lastRequests;
  private long lastErrors;

  IntervalReporter(LoadGenerator.Run run, PrintStream progress, Path hlog)
      throws FileNotFoundException {
    this.run = run;
    this.progress = progress;
    this.baseMillis =
        System.currentTimeMillis() + (run.measureStartNanos - System.nanoTime()) / 1_000_000;
    this.lastMillis = baseMillis;
    if (hlog == null) {
      this.log = null;
    } else {
      this.log = new HistogramLogWriter(hlog.toFile());
      log.outputComment(
          "[canary-bench corrected latency (from intended send time) of " + run.spec.uri() + "]");
      log.outputComment("[values in microseconds; the Interval_Max column is in milliseconds]");
      log.outputLogFormatVersion();
      log.outputStartTime(baseMillis);
      log.setBaseTime(baseMillis);
      log.outputLegend();
    }
  }

  /**
   * Closes one interval (or, during warmup, only prints progress); called by the once-a-second
   * timer.
   */
  synchronized void tick() {
    tick(false);
  }

  /** Closes the last interval (the drain after the end), unless nothing happened in it. */
  synchronized void finalTick() {
    tick(true);
  }

  private void tick(boolean last) {
    long now = System.nanoTime();
    long nowMillis = System.currentTimeMillis();
    if (!last && (now < run.measureStartNanos || nowMillis - lastMillis < 500)) {
      if (progress != null && now < run.measureStartNanos) {
        long left = (run.measureStartNanos - now + 999_999_999) / 1_000_000_000;
        progress.printf(Locale.ROOT, "[warmup] %ds left, nothing recorded yet%n", left);
      }
      return;
    }
    // The histograms and the counters are read one after the other while the event loops record,
    // so a response completing during a tick can have its latency in the next interval and its
    // count in this one. The last tick therefore always takes what the recorders still hold: the
    // counters alone cannot tell that an interval is empty.
    Histogram c = run.recording.corrected.getIntervalHistogram();
    Histogram u = run.recording.uncorrected.getIntervalHistogram();
    long requests = run.recording.requests.sum();
    long errors = run.recording.errors.sum();
    if (last
        && !intervals.isEmpty()
        && c.getTotalCount() == 0
        && u.getTotalCount() == 0
        && requests == lastRequests
        && errors == lastErrors) {
      return;
    }
    corrected.add(c);
    uncorrected.add(u);
    if (log != null) {
      log.outputIntervalHistogram(
          (lastMillis - baseMillis) / 1000.0, (nowMillis - baseMillis) / 1000.0, c, 1000.0);
    }
    double length = Math.max(0.001, (nowMillis - lastMillis) / 1000.0);
    BenchResult.Interval interval =
        new BenchResult.Interval(
            intervals.size() + 1,
            length,
            requests - lastRequests,
            errors - lastErrors,
            BenchResult.ms(c, 99));
    intervals.add(interval);
    lastMillis = nowMillis;
    lastRequests = requests;
    lastErrors = errors;
    if (progress != null) {
      progress.println(progressLine(interval));
    }
  }

  private String progressLine(BenchResult.Interval i) {
    double rate = i.requests() / i.lengthSeconds();
    long total = run.spec.duration().toSeconds();
    String target = run.closedLoop ? "max" : String.format(Locale.ROOT, "%.1f", run.spec.rate());
    String behind =
        !run.closedLoop
                && i.second() <= total
                && rate < run.spec.rate() * LoadGenerator.RATE_TOLERANCE
            ? "  BELOW TARGET"
            : "";
    return String.format(
        Locale.ROOT,
        "[%3d/%ds] %10.1f req/s (target %s)  corrected p99 %9.3fms  errors %d%s",
        i.second(),
        total,
        rate,
        target,
        i.correctedP99Ms(),
        i.errors(),
        behind);
  }

  /** The run's result; call after the final {@link #tick()}. */
  synchronized BenchResult result(String problem) {
    LoadSpec spec = run.spec;
    Recording r = run.recording;
    double seconds = spec.duration().toNanos() / 1e9;
    long requests = r.requests.sum();
    double achieved = requests / seconds;
    Double requested = run.closedLoop ? null : spec.rate();
    String warning = null;
    if (requested != null && achieved < requested * LoadGenerator.RATE_TOLERANCE) {
      warning =
          String.format(
              Locale.ROOT,
              "the generator could not hold the requested rate: achieved %.1f req/s of %.1f req/s requested (%.1f%%)",
              achieved,
              requested,
              100 * achieved / requested);
    }
    if (problem != null) {
      warning = warning == null ? problem : warning + "; " + problem;
    }
    return new BenchResult(
        spec.uri().toString(),
        run.closedLoop ? "closed-loop" : "open-loop",
        requested,
        achieved,
        seconds,
        spec.warmup().toNanos() / 1e9,
        spec.connections(),
        spec.threads(),
        (Transports.epoll() ? "epoll" : "nio"),
        requests,
        r.responses.sum(),
        r.errors.sum(),
        r.errorsByType(),
        r.statusCodes(),
        corrected,
        uncorrected,
        List.copyOf(intervals),
        r.variants(),
        warning);
  }

  @Override
  public void close() {
    if (log != null) {
      log.close();
    }
  }
}
