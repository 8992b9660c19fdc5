package io.canaryproxy.metrics;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.canaryproxy.config.AccessLogConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Variant;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One JSON line per sampled request, written by its own thread. The event loop only copies a few
 * fields into a bounded queue; when the queue is full the line is dropped and counted, so logging
 * never slows a request. Off unless {@code accessLog.enabled}; the user key is written only when
 * {@code accessLog.logUserKey} is set. Latencies are microseconds, -1 when the stage was not
 * reached; {@code bucket} is -1 without a user key.
 */
public final class AccessLog implements ProxyListener, AutoCloseable {
  /** Lines that may wait for the writer thread. */
  static final int DEFAULT_QUEUE_CAPACITY = 8192;

  private static final Logger log = LoggerFactory.getLogger(AccessLog.class);
  private static final Entry POISON =
      new Entry(0, null, null, null, 0, 0, 0, 0, 0, false, 0, null, null);

  private final boolean enabled;
  private final double sampleRate;
  private final boolean logUserKey;
  private final BlockingQueue<Entry> queue;
  private final LongAdder dropped = new LongAdder();
  private final Writer out;
  private final boolean closeOut;
  private final Thread writer;

  /**
   * Opens {@code accessLog.path} for appending (standard output when null) and starts the writer
   * thread.
   */
  public AccessLog(AccessLogConfig cfg) {
    this(cfg, DEFAULT_QUEUE_CAPACITY, cfg.enabled() ? open(cfg) : null, cfg.path() != null);
  }

  AccessLog(AccessLogConfig cfg, int queueCapacity, Writer out, boolean closeOut) {
    if (!(cfg.sampleRate() >= 0 && cfg.sampleRate() <= 1)) {
      throw new IllegalArgumentException(
          "accessLog.sampleRate: " + cfg.sampleRate() + " (expected: 0..1)");
    }
    this.enabled = cfg.enabled() && cfg.sampleRate() > 0;
    this.sampleRate = cfg.sampleRate();
    this.logUserKey = cfg.logUserKey();
    this.queue = new ArrayBlockingQueue<>(queueCapacity);
    this.out = out;
    this.closeOut = closeOut;
    if (enabled) {
      writer = new Thread(this::drain, "access-log-writer");
      writer.setDaemon(true);
      writer.start();
    } else {
      writer = null;
    }
  }

  private static Writer open(AccessLogConfig cfg) {
    try {
      if (cfg.path() == null) {
        return new OutputStreamWriter(System.out, StandardCharsets.UTF_8);
      }
      return Files.newBufferedWriter(
          cfg.path(), StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(
          "accessLog.path: " + cfg.path() + " (expected: a writable file)", e);
    }
  }

  /** Registers {@code canary_proxy_access_log_dropped_total} in {@code registry}. */
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder(MetricNames.ACCESS_LOG_DROPPED, dropped, LongAdder::sum)
        .description("Access log lines dropped because the writer fell behind")
        .register(registry);
  }

  @Override
  public void onExchangeComplete(Exchange x) {
    if (!enabled || (sampleRate < 1 && ThreadLocalRandom.current().nextDouble() >= sampleRate)) {
      return;
    }
    Variant v = x.variant();
    Entry entry =
        new Entry(
            System.currentTimeMillis(),
            v == null ? Variant.OTHER : v,
            x.method,
            x.path(),
            x.status,
            x.bytesIn,
            x.bytesOut,
            micros(x.totalNanos()),
            micros(x.upstreamNanos()),
            x.mirrored,
            x.route.bucket,
            logUserKey ? x.route.userKey() : null,
            x.grpcStatus == null ? null : x.grpcStatus.name());
    if (!queue.offer(entry)) {
      dropped.increment();
    }
  }

  private static long micros(long nanos) {
    return nanos < 0 ? -1 : TimeUnit.NANOSECONDS.toMicros(nanos);
  }

  /** Lines dropped so far because the queue was full. */
  public long dropped() {
    return dropped.sum();
  }

  /** Writes what is queued, stops the writer thread and closes the file (never standard output). */
  @Override
  public void close() {
    if (writer == null) {
      return;
    }
    try {
      // The writer may have stopped on an I/O error; then nobody would take the marker from a full
      // queue.
      while (writer.isAlive() && !queue.offer(POISON, 100, TimeUnit.MILLISECONDS)) {
        Thread.onSpinWait();
      }
      writer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void drain() {
    JsonFactory json = new JsonFactory();
    json.disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    try {
      while (true) {
        Entry e = queue.take();
        if (e == POISON) {
          break;
        }
        write(json, e);
        if (queue.isEmpty()) {
          out.flush();
        }
      }
      out.flush();
      if (closeOut) {
        out.close();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      log.error("access log write failed; access logging stops", e);
    }
  }

  private void write(JsonFactory json, Entry e) throws IOException {
    try (JsonGenerator g = json.createGenerator(out)) {
      g.writeStartObject();
      g.writeStringField("time", Instant.ofEpochMilli(e.timeMillis).toString());
      g.writeStringField("variant", e.variant.label());
      g.writeStringField("method", e.method);
      g.writeStringField("path", e.path);
      g.writeNumberField("status", e.status);
      g.writeNumberField("bytesIn", e.bytesIn);
      g.writeNumberField("bytesOut", e.bytesOut);
      g.writeNumberField("totalUs", e.totalUs);
      g.writeNumberField("upstreamUs", e.upstreamUs);
      g.writeBooleanField("mirrored", e.mirrored);
      g.writeNumberField("bucket", e.bucket);
      if (e.userKey != null) {
        g.writeStringField("userKey", e.userKey);
      }
      if (e.grpcStatus != null) {
        g.writeStringField("grpcStatus", e.grpcStatus);
      }
      g.writeEndObject();
    }
    out.write('\n');
  }

  private record Entry(
      long timeMillis,
      Variant variant,
      String method,
      String path,
      int status,
      long bytesIn,
      long bytesOut,
      long totalUs,
      long upstreamUs,
      boolean mirrored,
      int bucket,
      String userKey,
      String grpcStatus) {}
}
