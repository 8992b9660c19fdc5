package io.canaryproxy.mirroring;

import io.canaryproxy.config.MirrorConfig;
import io.canaryproxy.routing.Variant;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.IntUnaryOperator;
import java.util.function.ToIntFunction;

/**
 * Decides whether one request is mirrored: its primary variant must be listed in {@code
 * mirror.from}, its method in {@code mirror.methods}, and it must fall in the {@code
 * mirror.percent} sample. With {@code sampleBy: user} the sample is sticky: a user is in it when
 * the user's mirror bucket (0..9999) is below {@code percent × 100}; a request without a user key
 * falls back to the per-request random draw. Plain Java, thread-safe.
 */
public final class MirrorSampler {
  private static final int BUCKETS = 10_000;

  /** {@code percent} in millionths: a random draw in 0..999,999 below it is sampled. */
  private final int perMillion;

  /** {@code percent × 100}: a user bucket below it is sampled. */
  private final int bucketThreshold;

  private final boolean byUser;
  private final EnumSet<Variant> from = EnumSet.noneOf(Variant.class);
  private final Set<String> methods;
  private final ToIntFunction<String> userBucket;
  private final IntUnaryOperator draw;

  /**
   * @param config the mirror section
   * @param userBucket maps a user key to its mirror bucket, 0..9999; used only with {@code
   *     sampleBy: user}
   */
  public MirrorSampler(MirrorConfig config, ToIntFunction<String> userBucket) {
    this(config, userBucket, bound -> ThreadLocalRandom.current().nextInt(bound));
  }

  /**
   * A sampler whose per-request draws come from {@code draw}, which returns a uniform integer in
   * 0..bound-1 (tests pass a seeded generator, so that a share is checked exactly).
   */
  MirrorSampler(MirrorConfig config, ToIntFunction<String> userBucket, IntUnaryOperator draw) {
    this.draw = draw;
    this.perMillion = (int) Math.round(config.percent() * 10_000);
    this.bucketThreshold = (int) Math.round(config.percent() * (BUCKETS / 100.0));
    this.byUser = config.sampleBy() == MirrorConfig.SampleBy.USER;
    for (String v : config.from()) {
      from.add(Variant.valueOf(v.toUpperCase(Locale.ROOT)));
    }
    this.methods = Set.copyOf(config.methods());
    this.userBucket = userBucket;
  }

  /**
   * True when the request is to be mirrored.
   *
   * @param method request method, upper case as sent
   * @param variant the primary variant the request was routed to
   * @param userKey the user key, or {@code null} when the request carried none
   */
  public boolean sample(String method, Variant variant, String userKey) {
    if (perMillion <= 0
        || variant == null
        || !from.contains(variant)
        || !methods.contains(method)) {
      return false;
    }
    if (byUser && userKey != null) {
      return userBucket.applyAsInt(userKey) < bucketThreshold;
    }
    return perMillion >= 1_000_000 || draw.applyAsInt(1_000_000) < perMillion;
  }
}
