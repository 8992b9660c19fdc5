package io.canaryproxy.bench.backend;

import io.canaryproxy.bench.Durations;
import java.time.Duration;
import java.util.Random;

/**
 * How long the stub backend waits before it answers. Written on the command line as {@code fixed}
 * (with the {@code --latency} value), {@code uniform:MIN-MAX} (for example {@code
 * uniform:5ms-50ms}), {@code lognormal:MEDIAN,SIGMA} (for example {@code lognormal:20ms,0.5}; sigma
 * is the standard deviation of the underlying normal, so the median is exact and the tail grows
 * with sigma) or {@code spike:BASE,SHARE,EXTRA} (see {@link #spike}).
 */
public interface LatencyDistribution {
  /** Samples one delay in nanoseconds (never negative). */
  long sampleNanos(Random random);

  /** A constant delay. */
  static LatencyDistribution fixed(Duration delay) {
    long nanos = requireNonNegative("latency", delay);
    return new Described(r -> nanos, Durations.format(delay));
  }

  /** A delay drawn uniformly from {@code [min, max]}. */
  static LatencyDistribution uniform(Duration min, Duration max) {
    long lo = requireNonNegative("latency-dist min", min);
    long hi = requireNonNegative("latency-dist max", max);
    if (hi < lo) {
      throw new IllegalArgumentException(
          "latency-dist: uniform:"
              + Durations.format(min)
              + "-"
              + Durations.format(max)
              + " (expected: MIN <= MAX)");
    }
    return new Described(
        r -> lo + (long) (r.nextDouble() * (hi - lo)),
        "uniform:" + Durations.format(min) + "-" + Durations.format(max));
  }

  /** A log-normal delay with the given median and shape {@code sigma >= 0}. */
  static LatencyDistribution lognormal(Duration median, double sigma) {
    long med = requireNonNegative("latency-dist median", median);
    if (!(sigma >= 0 && sigma <= 10)) {
      throw new IllegalArgumentException("latency-dist: sigma " + sigma + " (expected: 0..10)");
    }
    return new Described(
        r -> (long) Math.min(3.6e12, med * Math.exp(sigma * r.nextGaussian())),
        "lognormal:" + Durations.format(median) + "," + sigma);
  }

  /**
   * The fixed delay {@code base}, plus {@code extra} for a share {@code share} (0..1) of the
   * requests: a regression of the slowest requests only (for example {@code spike:10ms,0.02,200ms}:
   * 2% of requests 200 ms slower), which a median does not show.
   */
  static LatencyDistribution spike(Duration base, double share, Duration extra) {
    long b = requireNonNegative("latency-dist base", base);
    long x = requireNonNegative("latency-dist extra", extra);
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("latency-dist: share " + share + " (expected: 0..1)");
    }
    return new Described(
        r -> r.nextDouble() < share ? b + x : b,
        "spike:" + Durations.format(base) + "," + share + "," + Durations.format(extra));
  }

  /**
   * Parses the {@code --latency-dist} syntax; {@code fixed} (or null) uses {@code fixedLatency}.
   * Throws {@link IllegalArgumentException} with the expected forms on anything else.
   */
  static LatencyDistribution parse(String spec, Duration fixedLatency) {
    if (spec == null || spec.equals("fixed")) {
      return fixed(fixedLatency);
    }
    try {
      if (spec.startsWith("uniform:")) {
        String[] parts = spec.substring("uniform:".length()).split("-", 2);
        if (parts.length == 2) {
          return uniform(Durations.parse("min", parts[0]), Durations.parse("max", parts[1]));
        }
      } else if (spec.startsWith("lognormal:")) {
        String[] parts = spec.substring("lognormal:".length()).split(",", 2);
        if (parts.length == 2) {
          return lognormal(
              Durations.parse("median", parts[0]), Double.parseDouble(parts[1].trim()));
        }
      } else if (spec.startsWith("spike:")) {
        String[] parts = spec.substring("spike:".length()).split(",", 3);
        if (parts.length == 3) {
          return spike(
              Durations.parse("base", parts[0]),
              Double.parseDouble(parts[1].trim()),
              Durations.parse("extra", parts[2]));
        }
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "latency-dist: "
              + spec
              + " ("
              + e.getMessage()
              + "; expected: fixed | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA | spike:BASE,SHARE,EXTRA)",
          e);
    }
    throw new IllegalArgumentException(
        "latency-dist: "
            + spec
            + " (expected: fixed | uniform:MIN-MAX | lognormal:MEDIAN,SIGMA |"
            + " spike:BASE,SHARE,EXTRA)");
  }

  private static long requireNonNegative(String what, Duration d) {
    if (d.isNegative()) {
      throw new IllegalArgumentException(what + ": " + d + " (expected: >= 0)");
    }
    return d.toNanos();
  }

  /** A distribution with a readable name for the startup line. */
  record Described(LatencyDistribution sampler, String description) implements LatencyDistribution {
    @Override
    public long sampleNanos(Random random) {
      return Math.max(0, sampler.sampleNanos(random));
    }

    @Override
    public String toString() {
      return description;
    }
  }
}
