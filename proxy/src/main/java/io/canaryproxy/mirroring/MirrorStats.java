package io.canaryproxy.mirroring;

import io.canaryproxy.metrics.MetricNames;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * Counters of the mirror, cumulative since start (readers take interval deltas): shadow requests by
 * outcome, comparisons by part, and the last {@value #RING_SIZE} mismatch samples. Thread-safe;
 * counting takes no lock.
 */
public final class MirrorStats {
  /** How many recent mismatch samples are kept. */
  public static final int RING_SIZE = 100;

  /** What became of a request considered for mirroring. Each value is one {@code outcome} tag. */
  public enum Outcome {
    /** a shadow request was started (one per copy: two when the stable baseline is on) */
    SENT,
    /** not mirrored: {@code maxInFlight} shadow requests were already in flight */
    DROPPED_INFLIGHT,
    /** abandoned: the shadow connection could not take more bytes */
    DROPPED_UNWRITABLE,
    /**
     * not mirrored: the shadow is ejected ({@code mirror.ejection}) after copies failed in a row
     */
    DROPPED_EJECTED,
    /** not mirrored (declared length) or abandoned (body grew) past {@code maxBodyBytes} */
    BODY_TOO_LARGE,
    /** the shadow refused, closed, or answered something unreadable */
    FAILED,
    /** no complete answer within {@code mirror.timeout} */
    TIMEOUT,
    /** the shadow answered completely */
    COMPLETED,
    /**
     * the primary exchange failed while the copy's body was still being sent, so the copy was cut
     */
    CANCELLED,
    /**
     * not sent: a gRPC call whose request did not end as exactly one message, under {@code
     * mirror.grpc: unary}
     */
    GRPC_STREAMING;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  /** A compared part of a response. */
  public enum Part {
    STATUS,
    HEADERS,
    BODY;

    final String tag = name().toLowerCase(Locale.ROOT);
  }

  /**
   * One recent mismatch: method, path without query, and what differed. Never request header values
   * or users.
   */
  public record MismatchSample(
      long epochMillis, String method, String path, boolean baseline, String detail) {}

  private final EnumMap<Outcome, LongAdder> outcomes = new EnumMap<>(Outcome.class);
  private final Comparisons shadow = new Comparisons();
  private final Comparisons baseline = new Comparisons();
  private final AtomicInteger inFlight;
  private final BooleanSupplier ejected;
  private final ArrayDeque<MismatchSample> ring = new ArrayDeque<>(RING_SIZE);

  MirrorStats(AtomicInteger inFlight) {
    this(inFlight, () -> false);
  }

  /**
   * @param ejected whether the shadow is ejected now ({@code mirror.ejection})
   */
  MirrorStats(AtomicInteger inFlight, BooleanSupplier ejected) {
    this.inFlight = inFlight;
    this.ejected = ejected;
    for (Outcome o : Outcome.values()) {
      outcomes.put(o, new LongAdder());
    }
  }

  void count(Outcome outcome) {
    outcomes.get(outcome).increment();
  }

  void compared(boolean isBaseline, ComparisonResult result, String method, String path) {
    (isBaseline ? baseline : shadow).add(result);
    if (!result.matches()) {
      MismatchSample s =
          new MismatchSample(System.currentTimeMillis(), method, path, isBaseline, result.detail());
      synchronized (ring) {
        if (ring.size() == RING_SIZE) {
          ring.pollFirst();
        }
        ring.addLast(s);
      }
    }
  }

  /**
   * Shadow requests that ended with {@code outcome} (for {@link Outcome#SENT}: that were started).
   */
  public long requests(Outcome outcome) {
    return outcomes.get(outcome).sum();
  }

  /** Shadow responses compared with the primary's (the stable baseline excluded). */
  public long compared() {
    return shadow.compared.sum();
  }

  /** Compared shadow responses that differed from the primary's in at least one part. */
  public long mismatches() {
    return shadow.mismatched.sum();
  }

  /** Stable-baseline responses compared with the primary's ({@code compare.stableBaseline}). */
  public long baselineCompared() {
    return baseline.compared.sum();
  }

  /** Compared baseline responses that differed from the primary's: the comparison's noise. */
  public long baselineMismatches() {
    return baseline.mismatched.sum();
  }

  /**
   * Comparisons of {@code part} with {@code match} true or false; baseline comparisons when {@code
   * baseline}.
   */
  public long comparisons(Part part, boolean match, boolean baseline) {
    Comparisons c = baseline ? this.baseline : shadow;
    return (match ? c.match : c.mismatch).get(part).sum();
  }

  /** Bodies left uncompared because one was larger than {@code compare.maxBodyBytes}. */
  public long bodiesSkipped(boolean baseline) {
    return (baseline ? this.baseline : shadow).bodySkipped.sum();
  }

  /** Shadow requests in flight now, process-wide. */
  public int inFlight() {
    return inFlight.get();
  }

  /** The recent mismatch samples, oldest first. */
  public List<MismatchSample> recentMismatches() {
    synchronized (ring) {
      return new ArrayList<>(ring);
    }
  }

  /** The {@code mirror} section of {@code /admin/stats}. */
  public Map<String, Object> snapshot() {
    Map<String, Object> requests = new LinkedHashMap<>();
    for (Outcome o : Outcome.values()) {
      requests.put(o.tag, outcomes.get(o).sum());
    }
    List<Map<String, Object>> samples = new ArrayList<>();
    for (MismatchSample s : recentMismatches()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("time", s.epochMillis());
      m.put("method", s.method());
      m.put("path", s.path());
      m.put("baseline", s.baseline());
      m.put("differs", s.detail());
      samples.add(m);
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("inFlight", inFlight.get());
    out.put("ejected", ejected.getAsBoolean());
    out.put("requests", requests);
    out.put("comparisons", shadow.snapshot());
    out.put("baseline", baseline.snapshot());
    out.put("recentMismatches", samples);
    return out;
  }

  /**
   * Registers {@code canary.proxy.mirror.requests{outcome}}, {@code
   * canary.proxy.mirror.comparisons{part,outcome}} (outcome match | mismatch | skipped), {@code
   * canary.proxy.mirror.baseline.comparisons{part,outcome}} and the gauge {@code
   * canary.proxy.mirror.inflight}.
   */
  public void bindTo(MeterRegistry registry) {
    for (Outcome o : Outcome.values()) {
      FunctionCounter.builder(MetricNames.MIRROR_REQUESTS, outcomes.get(o), LongAdder::doubleValue)
          .description("Shadow requests by outcome")
          .tag("outcome", o.tag)
          .register(registry);
    }
    shadow.bind(registry, MetricNames.MIRROR_COMPARISONS);
    baseline.bind(registry, MetricNames.MIRROR_BASELINE_COMPARISONS);
    Gauge.builder(MetricNames.MIRROR_INFLIGHT, inFlight, AtomicInteger::get)
        .description("Shadow requests in flight")
        .register(registry);
  }

  /** Counters for one kind of comparison. */
  private static final class Comparisons {
    final LongAdder compared = new LongAdder();
    final LongAdder mismatched = new LongAdder();
    final LongAdder bodySkipped = new LongAdder();
    final EnumMap<Part, LongAdder> match = new EnumMap<>(Part.class);
    final EnumMap<Part, LongAdder> mismatch = new EnumMap<>(Part.class);

    Comparisons() {
      for (Part p : Part.values()) {
        match.put(p, new LongAdder());
        mismatch.put(p, new LongAdder());
      }
    }

    void add(ComparisonResult r) {
      compared.increment();
      if (!r.matches()) {
        mismatched.increment();
      }
      (r.statusMatch() ? match : mismatch).get(Part.STATUS).increment();
      (r.headersMatch() ? match : mismatch).get(Part.HEADERS).increment();
      switch (r.body()) {
        case MATCH -> match.get(Part.BODY).increment();
        case MISMATCH -> mismatch.get(Part.BODY).increment();
        case SKIPPED -> bodySkipped.increment();
      }
    }

    Map<String, Object> snapshot() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("compared", compared.sum());
      m.put("mismatches", mismatched.sum());
      for (Part p : Part.values()) {
        Map<String, Object> part = new LinkedHashMap<>();
        part.put("match", match.get(p).sum());
        part.put("mismatch", mismatch.get(p).sum());
        if (p == Part.BODY) {
          part.put("skipped", bodySkipped.sum());
        }
        m.put(p.tag, part);
      }
      return m;
    }

    void bind(MeterRegistry registry, String name) {
      for (Part p : Part.values()) {
        FunctionCounter.builder(name, match.get(p), LongAdder::doubleValue)
            .tags("part", p.tag, "outcome", "match")
            .register(registry);
        FunctionCounter.builder(name, mismatch.get(p), LongAdder::doubleValue)
            .tags("part", p.tag, "outcome", "mismatch")
            .register(registry);
      }
      FunctionCounter.builder(name, bodySkipped, LongAdder::doubleValue)
          .tags("part", "body", "outcome", "skipped")
          .register(registry);
    }
  }
}
