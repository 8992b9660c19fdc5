package io.canaryproxy.mirroring;

import io.canaryproxy.config.Durations;
import io.canaryproxy.config.MirrorConfig.EjectionConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Outlier ejection of the shadow ({@code mirror.ejection}): after {@code consecutiveFailures}
 * copies in a row ended {@code timeout} or {@code failed}, no copy is sent for {@code baseTime ×
 * 2^(ejections so far)}, at most {@code maxTime}; any answer resets the count and the time. One
 * instance per process, shared by every event loop without a lock: while the shadow is not ejected,
 * {@link #admits} reads one volatile field and never the clock.
 *
 * <p>A failure counts only for a copy started after the last resume, so copies still in flight when
 * the shadow was ejected (they time out while it is ejected, or just after) neither prolong nor
 * renew the ejection.
 */
final class ShadowEjection {
  private static final Logger log = LoggerFactory.getLogger(ShadowEjection.class);
  private static final VarHandle EJECTED;

  static {
    try {
      EJECTED =
          MethodHandles.lookup().findVarHandle(ShadowEjection.class, "ejected", boolean.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final String shadow;
  private final int threshold;
  private final long baseNanos;
  private final long maxNanos;
  private final LongSupplier nanoClock;
  private final AtomicInteger failures = new AtomicInteger();

  /** Ejections since the shadow last answered: the next one lasts {@code base × 2^this}. */
  private final AtomicInteger ejections = new AtomicInteger();

  /** Written directly and compare-and-set through {@link #EJECTED}. */
  private volatile boolean ejected;

  /** When the current ejection ends, on {@code nanoClock}; meaningful while ejected. */
  private volatile long until;

  private volatile long lastEjectionNanos;

  /** When copies last resumed (or the start); failures of copies started before are ignored. */
  private volatile long resumedAt;

  /**
   * @param shadow the shadow's backend name, for the log
   * @param config {@code mirror.ejection}
   * @param nanoClock {@link System#nanoTime} outside tests; the copies' start times passed to
   *     {@link #failed} must come from the same clock
   */
  ShadowEjection(String shadow, EjectionConfig config, LongSupplier nanoClock) {
    this.shadow = shadow;
    this.threshold = config.consecutiveFailures();
    this.baseNanos = config.baseTime().toNanos();
    this.maxNanos = config.maxTime().toNanos();
    this.nanoClock = nanoClock;
    this.resumedAt = nanoClock.getAsLong();
  }

  /**
   * Whether a sampled request may be copied now. False while the shadow is ejected; the first call
   * after the ejection's end resumes the copies (and logs it).
   */
  boolean admits() {
    return !ejected || resumeIfDue();
  }

  private boolean resumeIfDue() {
    long now = nanoClock.getAsLong();
    if (now - until < 0) {
      return false;
    }
    if (EJECTED.compareAndSet(this, true, false)) {
      resumedAt = now;
      failures.set(0);
      log.info(
          "mirror: shadow {} resumes receiving copies after an ejection of {}",
          shadow,
          Durations.format(Duration.ofNanos(lastEjectionNanos)));
    }
    return true;
  }

  /** Whether copies are held back now (for {@code /admin/stats}); reads the clock only if so. */
  boolean isEjected() {
    return ejected && nanoClock.getAsLong() - until < 0;
  }

  /** A copy to the shadow got a complete answer, whatever its status. */
  void answered() {
    if (failures.get() != 0) {
      failures.set(0);
    }
    if (ejections.get() != 0) {
      ejections.set(0);
    }
  }

  /**
   * A copy to the shadow ended {@code timeout} or {@code failed}.
   *
   * @param startNanos when the copy was started, on the clock given to the constructor
   */
  void failed(Outcome outcome, long startNanos) {
    if (threshold == 0 || ejected || startNanos - resumedAt < 0) {
      return;
    }
    if (failures.incrementAndGet() != threshold) {
      return; // exactly one caller sees the threshold reached, so one ejection follows
    }
    long now = nanoClock.getAsLong();
    int previous = ejections.getAndIncrement();
    long length = length(previous);
    lastEjectionNanos = length;
    until = now + length;
    ejected = true;
    failures.set(0);
    log.warn(
        "mirror: shadow {} ejected for {}: {} copies in a row failed (the last: {}); ejection {}"
            + " since it last answered",
        shadow,
        Durations.format(Duration.ofNanos(length)),
        threshold,
        outcome.tag,
        previous + 1);
  }

  /** {@code base × 2^previous}, at most {@code max}, without overflow. */
  long length(int previous) {
    if (previous >= 62 || baseNanos > (maxNanos >> previous)) {
      return maxNanos;
    }
    return Math.min(maxNanos, baseNanos << previous);
  }
}
