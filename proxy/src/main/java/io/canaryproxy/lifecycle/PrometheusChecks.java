package io.canaryproxy.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.analysis.MetricResult;
import io.canaryproxy.analysis.MetricSource;
import io.canaryproxy.analysis.Verdict;
import io.canaryproxy.config.LifecycleConfig.MetricCheckConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReferenceArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs each {@code rollout.analysis.metrics[]} query against its Prometheus ({@code GET
 * /api/v1/query}) every {@code interval} and keeps the latest result. {@code {{variant}}} in a
 * query becomes {@code canary}, {@code {{backend}}} the canary's backend name. A query must return
 * exactly one sample (a one-series vector or a scalar); an HTTP or query error, an empty result,
 * several series, NaN, or a result older than three intervals is INCONCLUSIVE, never PASS or FAIL.
 * Each query times out after its interval, at most 10 s.
 */
public final class PrometheusChecks implements MetricSource {
  private static final Logger log = LoggerFactory.getLogger(PrometheusChecks.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Duration MAX_TIMEOUT = Duration.ofSeconds(10);

  private final List<MetricCheckConfig> checks;
  private final String canaryBackend;
  private final ScheduledExecutorService executor;
  private final HttpClient client;
  private final Clock clock;
  private final AtomicReferenceArray<Timed> latest;
  private volatile long generation;

  private record Timed(MetricResult result, Instant at, long generation) {}

  public PrometheusChecks(
      List<MetricCheckConfig> checks,
      String canaryBackend,
      ScheduledExecutorService executor,
      HttpClient client,
      Clock clock) {
    this.checks = List.copyOf(checks);
    this.canaryBackend = Objects.requireNonNull(canaryBackend, "canaryBackend");
    this.executor = executor;
    this.client = client;
    this.clock = clock;
    this.latest = new AtomicReferenceArray<>(checks.size());
  }

  /** Schedules every query, the first at once. */
  public void start() {
    for (int i = 0; i < checks.size(); i++) {
      int index = i;
      MetricCheckConfig c = checks.get(i);
      executor.scheduleWithFixedDelay(
          () -> query(index), 0, c.interval().toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public List<MetricResult> results() {
    List<MetricResult> out = new ArrayList<>(checks.size());
    Instant now = clock.instant();
    long gen = generation;
    for (int i = 0; i < checks.size(); i++) {
      MetricCheckConfig c = checks.get(i);
      Timed t = latest.get(i);
      if (t == null || t.generation() != gen) {
        out.add(MetricResult.inconclusive(c.name(), c.max(), c.min(), "no result yet", null));
      } else if (Duration.between(t.at(), now).compareTo(c.interval().multipliedBy(3)) > 0) {
        out.add(
            MetricResult.inconclusive(
                c.name(), c.max(), c.min(), "stale: the last result is from " + t.at(), null));
      } else {
        out.add(t.result());
      }
    }
    return out;
  }

  @Override
  public void reset() {
    generation++;
  }

  /** The query with its placeholders replaced. */
  String expand(String query) {
    return query.replace("{{variant}}", "canary").replace("{{backend}}", canaryBackend);
  }

  private void query(int index) {
    MetricCheckConfig c = checks.get(index);
    long gen = generation;
    Duration timeout = c.interval().compareTo(MAX_TIMEOUT) < 0 ? c.interval() : MAX_TIMEOUT;
    URI uri =
        URI.create(
            c.prometheusUrl().toString().replaceAll("/+$", "")
                + "/api/v1/query?query="
                + URLEncoder.encode(expand(c.query()), StandardCharsets.UTF_8));
    HttpRequest request = HttpRequest.newBuilder(uri).timeout(timeout).GET().build();
    try {
      client
          .sendAsync(request, HttpResponse.BodyHandlers.ofString())
          .whenComplete(
              (response, error) -> {
                Instant at = clock.instant();
                MetricResult r =
                    error != null
                        ? MetricResult.inconclusive(
                            c.name(),
                            c.max(),
                            c.min(),
                            "query failed: "
                                + (error instanceof CompletionException && error.getCause() != null
                                    ? error.getCause()
                                    : error),
                            at.toString())
                        : parse(c, response.statusCode(), response.body(), at.toString());
                Timed previous = latest.getAndSet(index, new Timed(r, at, gen));
                if (r.outcome() == Verdict.Outcome.INCONCLUSIVE
                    && (previous == null || previous.result().outcome() != r.outcome())) {
                  log.warn("business metric {}", r.reason());
                }
              });
    } catch (RuntimeException e) {
      log.warn("business metric {}: could not send the query", c.name(), e);
    }
  }

  /** The result of one answer of {@code /api/v1/query}. */
  static MetricResult parse(MetricCheckConfig c, int status, String body, String at) {
    JsonNode root;
    try {
      root = MAPPER.readTree(body);
    } catch (IOException e) {
      return MetricResult.inconclusive(
          c.name(), c.max(), c.min(), "status " + status + ", not JSON", at);
    }
    if (!"success".equals(root.path("status").asText())) {
      return MetricResult.inconclusive(
          c.name(),
          c.max(),
          c.min(),
          "query error (status "
              + status
              + "): "
              + root.path("errorType").asText()
              + " "
              + root.path("error").asText(),
          at);
    }
    JsonNode data = root.path("data");
    JsonNode sample;
    switch (data.path("resultType").asText()) {
      case "scalar" -> sample = data.path("result");
      case "vector" -> {
        JsonNode result = data.path("result");
        if (result.size() != 1) {
          return MetricResult.inconclusive(
              c.name(),
              c.max(),
              c.min(),
              result.isEmpty()
                  ? "empty result"
                  : result.size() + " series (expected: one; aggregate the query)",
              at);
        }
        sample = result.get(0).path("value");
      }
      default -> {
        return MetricResult.inconclusive(
            c.name(),
            c.max(),
            c.min(),
            "result type " + data.path("resultType").asText() + " (expected: vector or scalar)",
            at);
      }
    }
    double value;
    try {
      // Prometheus spells infinities +Inf and -Inf, which parseDouble does not read
      value = Double.parseDouble(sample.path(1).asText().replace("Inf", "Infinity"));
    } catch (NumberFormatException e) {
      return MetricResult.inconclusive(c.name(), c.max(), c.min(), "no numeric value", at);
    }
    if (!Double.isFinite(value)) {
      // NaN or an infinity: mostly a division by zero, e.g. a ratio over no traffic
      return MetricResult.inconclusive(
          c.name(), c.max(), c.min(), "not a finite value: " + value, at);
    }
    return MetricResult.of(c.name(), value, c.max(), c.min(), at);
  }
}
