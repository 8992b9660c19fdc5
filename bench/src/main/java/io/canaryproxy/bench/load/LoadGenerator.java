package io.canaryproxy.bench.load;

import io.canaryproxy.bench.report.BenchResult;
import io.canaryproxy.pool.Transports;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import java.io.IOException;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Drives one load run: opens the connections, sends on the open-loop schedule (or closed-loop),
 * reports progress once a second and returns the {@link BenchResult}. Requests whose intended send
 * time (closed-loop: actual send time) falls in the warmup are sent but never recorded.
 */
public final class LoadGenerator {
  /** Below this share of the requested rate the result carries a rate warning. */
  static final double RATE_TOLERANCE = 0.95;

  private static final BigDecimal BILLION = BigDecimal.valueOf(1_000_000_000L);

  private final LoadSpec spec;
  private final PrintStream progress;
  private final Path hlog;

  /**
   * @param progress where the once-a-second progress line goes (normally stderr), or null for none
   * @param hlog where the corrected-latency interval log goes, or null for none
   */
  public LoadGenerator(LoadSpec spec, PrintStream progress, Path hlog) {
    this.spec = spec;
    this.progress = progress;
    this.hlog = hlog;
  }

  /**
   * Runs to completion; throws {@link IOException} when no connection to the target can be opened.
   */
  public BenchResult run() throws IOException, InterruptedException {
    EventLoopGroup group = Transports.newGroup(spec.threads(), "bench-client");
    ScheduledExecutorService ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "bench-report");
              t.setDaemon(true);
              return t;
            });
    try {
      Run run = new Run(spec, group);
      List<ClientConnection> connections = new ArrayList<>();
      List<ChannelFuture> opening = new ArrayList<>();
      for (int i = 0; i < spec.connections(); i++) {
        ClientConnection c = new ClientConnection(run, group.next());
        connections.add(c);
        opening.add(c.connect());
      }
      Throwable failure = null;
      int open = 0;
      for (ChannelFuture f : opening) {
        f.await();
        if (f.isSuccess()) {
          open++;
        } else {
          failure = f.cause();
        }
      }
      if (open == 0) {
        throw new IOException(
            "cannot connect to " + spec.uri().getHost() + ":" + spec.port() + ": " + failure,
            failure);
      }
      run.begin(System.nanoTime());
      try (IntervalReporter reporter = new IntervalReporter(run, progress, hlog)) {
        long untilAligned =
            Math.floorMod(run.measureStartNanos - System.nanoTime(), 1_000_000_000L);
        ticker.scheduleAtFixedRate(
            reporter::tick,
            untilAligned == 0 ? 1_000_000_000L : untilAligned,
            1_000_000_000L,
            TimeUnit.NANOSECONDS);
        connections.forEach(ClientConnection::start);
        long bound =
            spec.warmup().plus(spec.duration()).plus(spec.timeout().multipliedBy(2)).toMillis()
                + 10_000;
        boolean drained = run.done.await(bound, TimeUnit.MILLISECONDS);
        ticker.shutdown();
        ticker.awaitTermination(10, TimeUnit.SECONDS);
        reporter.finalTick();
        return reporter.result(drained ? null : "some connections did not finish in time");
      }
    } finally {
      ticker.shutdownNow();
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  /** State shared by every connection of one run. */
  static final class Run {
    final LoadSpec spec;
    final boolean closedLoop;
    final Bootstrap bootstrap;
    final RequestFactory requests;
    final Recording recording;
    final long timeoutNanos;
    final CountDownLatch done;
    private final AtomicLong nextSlot = new AtomicLong();
    volatile long startNanos;
    volatile long measureStartNanos;
    volatile long endNanos;

    Run(LoadSpec spec, EventLoopGroup group) {
      this(spec, group, new Recording());
    }

    Run(LoadSpec spec, EventLoopGroup group, Recording recording) {
      this.spec = spec;
      this.recording = recording;
      this.closedLoop = spec.closedLoop();
      this.requests = new RequestFactory(spec);
      this.timeoutNanos = spec.timeout().toNanos();
      this.done = new CountDownLatch(spec.connections());
      this.bootstrap =
          new Bootstrap()
              .group(group)
              .channel(Transports.clientChannel())
              .option(ChannelOption.TCP_NODELAY, true)
              .option(
                  ChannelOption.CONNECT_TIMEOUT_MILLIS,
                  (int) Math.max(1, spec.timeout().toMillis()))
              .remoteAddress(spec.uri().getHost(), spec.port());
      this.endNanos = Long.MAX_VALUE;
      this.measureStartNanos = Long.MAX_VALUE;
    }

    void begin(long start) {
      startNanos = start;
      measureStartNanos = start + spec.warmup().toNanos();
      endNanos = measureStartNanos + spec.duration().toNanos();
    }

    /** The intended send time of the next unclaimed slot: slot i is due at start + i / rate. */
    long claimSlot() {
      return startNanos + slotOffsetNanos(nextSlot.getAndIncrement(), spec.rate());
    }

    /**
     * Slot {@code i}'s intended send time relative to the start: exactly {@code floor(i * 1e9 /
     * rate)} nanoseconds, so a slot due on the measure start or on the end (at 900 req/s slot 900
     * is due at 1 s) falls on the side of the boundary that it is exactly on. A product with the
     * rounded interval {@code 1e9 / rate} can land one nanosecond early and move such a slot into
     * the window before.
     */
    static long slotOffsetNanos(long i, double rate) {
      if (rate == Math.rint(rate)) {
        // rate <= 10^7 (LoadSpec), so i % r * 10^9 stays below 10^16.
        long r = (long) rate;
        return i / r * 1_000_000_000L + i % r * 1_000_000_000L / r;
      }
      return BigDecimal.valueOf(i)
          .multiply(BILLION)
          .divide(new BigDecimal(rate), 0, RoundingMode.FLOOR)
          .longValueExact();
    }

    void connectionFinished() {
      done.countDown();
    }
  }
}
