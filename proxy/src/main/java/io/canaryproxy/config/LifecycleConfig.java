package io.canaryproxy.config;

import io.canaryproxy.config.RolloutConfig.OnFailure;
import java.net.URI;
import java.time.Duration;
import java.util.List;

/**
 * The rollout's lifecycle settings: history, progress deadline, gates, new-revision detection and
 * business metrics from Prometheus. YAML keeps them where a user looks for them ({@code
 * rollout.history}, {@code rollout.progressDeadline}, {@code rollout.gates}, {@code
 * rollout.revision}, {@code rollout.analysis.metrics}); Java keeps them in one record.
 *
 * @param historySize finished rollouts kept in the state file and at {@code
 *     /admin/rollout/history}, 1..100; default 10
 * @param progressDeadline longest time a step may go without advancing while progressing, or {@link
 *     Duration#ZERO} for no deadline (the default)
 * @param onProgressDeadline what happens then: pause (default) or rollback
 * @param gates URLs that must answer 2xx before the canary gets traffic, before each step and
 *     before promotion
 * @param revision where the canary's version is read, or {@code null}
 * @param metrics business-metric checks, each part of every canary verdict
 */
public record LifecycleConfig(
    int historySize,
    Duration progressDeadline,
    OnFailure onProgressDeadline,
    GatesConfig gates,
    RevisionConfig revision,
    List<MetricCheckConfig> metrics) {

  /** Default of {@code rollout.history}. */
  public static final int DEFAULT_HISTORY = 10;

  /** No history bound changes, no deadline, no gates, no revision source, no metrics. */
  public static final LifecycleConfig DEFAULTS =
      new LifecycleConfig(
          DEFAULT_HISTORY, Duration.ZERO, OnFailure.PAUSE, GatesConfig.NONE, null, List.of());

  public LifecycleConfig {
    gates = gates == null ? GatesConfig.NONE : gates;
    metrics = metrics == null ? List.of() : List.copyOf(metrics);
  }

  /**
   * One gate: a GET that must answer 2xx.
   *
   * @param url http:// or https:// URL
   * @param timeout per attempt, for connecting and for the whole answer; default 5s
   * @param retries attempts after the first failed one, 0..100; default 2
   */
  public record Gate(URI url, Duration timeout, int retries) {}

  /**
   * The gates of each stage; an empty list means none.
   *
   * @param preRollout before the canary gets any traffic (start and restart)
   * @param preStep before each step after the first, promotion excepted
   * @param prePromotion before the canary is promoted
   */
  public record GatesConfig(List<Gate> preRollout, List<Gate> preStep, List<Gate> prePromotion) {
    public static final GatesConfig NONE = new GatesConfig(List.of(), List.of(), List.of());

    public GatesConfig {
      preRollout = preRollout == null ? List.of() : List.copyOf(preRollout);
      preStep = preStep == null ? List.of() : List.copyOf(preStep);
      prePromotion = prePromotion == null ? List.of() : List.copyOf(prePromotion);
    }
  }

  /**
   * Where the canary's version comes from: a response header of canary responses, or a field of a
   * JSON document polled at {@code url}. Exactly one of {@code header} and {@code url} is set.
   *
   * @param header response header name, lower case, or {@code null}
   * @param url http:// or https:// URL of a JSON document, or {@code null}
   * @param jsonField top-level field of that document holding the version; default {@code version}
   * @param interval how often {@code url} is polled; default 10s
   */
  public record RevisionConfig(String header, URI url, String jsonField, Duration interval) {}

  /**
   * One business-metric check: a PromQL query whose value must stay within a threshold.
   *
   * @param name a short name, unique among the checks, shown in verdicts
   * @param prometheusUrl the Prometheus server's base URL (the query goes to {@code /api/v1/query})
   * @param query PromQL; {@code {{variant}}} is replaced by {@code canary}; it must return one
   *     sample
   * @param max the value FAILs above this, or {@code null}
   * @param min the value FAILs below this, or {@code null}
   * @param interval how often the query runs; default {@code rollout.analysis.interval}
   */
  public record MetricCheckConfig(
      String name, URI prometheusUrl, String query, Double max, Double min, Duration interval) {}
}
