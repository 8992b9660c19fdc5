package io.canaryproxy.analysis;

import java.util.List;

/**
 * The latest business-metric results for the {@link RolloutController}; see {@link MetricChecks}.
 */
public interface MetricSource {
  /** No checks configured. */
  MetricSource NONE =
      new MetricSource() {
        @Override
        public List<MetricResult> results() {
          return List.of();
        }

        @Override
        public void reset() {}
      };

  /** The latest result of each check, in configuration order; quick, never blocks on I/O. */
  List<MetricResult> results();

  /** Forgets every result: a new rollout must not be judged on its predecessor's values. */
  void reset();
}
