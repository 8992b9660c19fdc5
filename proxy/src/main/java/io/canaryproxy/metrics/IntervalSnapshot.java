package io.canaryproxy.metrics;

import io.canaryproxy.routing.Variant;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * One closed interval for every variant. Immutable apart from the histograms, which are copies
 * owned by this snapshot: readers must not record into them.
 *
 * @param startMillis wall-clock start of the interval, epoch milliseconds
 * @param endMillis wall-clock end of the interval, epoch milliseconds
 * @param variants one entry per {@link Variant}, always all of them
 */
public record IntervalSnapshot(
    long startMillis, long endMillis, Map<Variant, VariantInterval> variants) {
  public IntervalSnapshot {
    variants = Collections.unmodifiableMap(new EnumMap<>(variants));
  }

  /** The interval of one variant. */
  public VariantInterval variant(Variant variant) {
    return variants.get(variant);
  }
}
