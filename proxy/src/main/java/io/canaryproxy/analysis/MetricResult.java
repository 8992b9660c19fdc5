package io.canaryproxy.analysis;

import io.canaryproxy.analysis.Verdict.Outcome;

/**
 * The last result of one business-metric check ({@code rollout.analysis.metrics[]}), as it enters a
 * verdict.
 *
 * @param name the check's name
 * @param value the query's value, or {@code null} when the query failed or returned nothing
 * @param max the tolerated maximum, or {@code null}
 * @param min the tolerated minimum, or {@code null}
 * @param outcome PASS within the threshold, FAIL outside it, INCONCLUSIVE without a value (a query
 *     error, an empty result, several series, NaN, or no result yet)
 * @param reason one short sentence: the comparison, or why there is no value
 * @param at when the query ran, ISO-8601 UTC, or {@code null} before the first run
 */
public record MetricResult(
    String name, Double value, Double max, Double min, Outcome outcome, String reason, String at) {

  /** The result of a query that returned {@code value} at {@code at}. */
  public static MetricResult of(String name, double value, Double max, Double min, String at) {
    if (max != null && value > max) {
      return new MetricResult(
          name, value, max, min, Outcome.FAIL, name + " " + value + " > max " + max, at);
    }
    if (min != null && value < min) {
      return new MetricResult(
          name, value, max, min, Outcome.FAIL, name + " " + value + " < min " + min, at);
    }
    return new MetricResult(
        name, value, max, min, Outcome.PASS, name + " " + value + " within threshold", at);
  }

  /** A check without a value, for {@code why}: INCONCLUSIVE. */
  public static MetricResult inconclusive(
      String name, Double max, Double min, String why, String at) {
    return new MetricResult(name, null, max, min, Outcome.INCONCLUSIVE, name + ": " + why, at);
  }
}
