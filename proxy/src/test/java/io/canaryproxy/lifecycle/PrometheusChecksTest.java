package io.canaryproxy.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.analysis.Verdict.Outcome;
import io.canaryproxy.config.LifecycleConfig.MetricCheckConfig;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** What each kind of {@code /api/v1/query} answer becomes: only a finite single sample decides. */
class PrometheusChecksTest {
  private static final MetricCheckConfig CHECK =
      new MetricCheckConfig(
          "conv",
          URI.create("http://127.0.0.1:9090"),
          "sum(rate(x{variant=\"{{variant}}\"}[1m]))",
          1.0,
          0.5,
          Duration.ofSeconds(10));

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "one series within | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"0.7\"]}]}} | PASS | conv 0.7 within threshold",
        "below min | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"metric\":{},\"value\":[1,\"0.2\"]}]}} | FAIL | conv 0.2 < min 0.5",
        "above max | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"3\"]}} | FAIL | conv 3.0 > max 1.0",
        "empty | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[]}} | INCONCLUSIVE | conv: empty result",
        "two series | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"1\"]},{\"value\":[1,\"1\"]}]}} | INCONCLUSIVE | conv: 2 series (expected: one; aggregate the query)",
        "NaN | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"vector\",\"result\":[{\"value\":[1,\"NaN\"]}]}} | INCONCLUSIVE | conv: not a finite value: NaN",
        "infinite | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"scalar\",\"result\":[1,\"+Inf\"]}} | INCONCLUSIVE | conv: not a finite value: Infinity",
        "query error | 400 | {\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"parse error\"} | INCONCLUSIVE | conv: query error (status 400): bad_data parse error",
        "matrix | 200 | {\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[]}} | INCONCLUSIVE | conv: result type matrix (expected: vector or scalar)",
        "not JSON | 502 | <html>bad gateway</html> | INCONCLUSIVE | 'conv: status 502, not JSON'",
      })
  void answersBecomeResults(String what, int status, String body, Outcome outcome, String reason) {
    var r = PrometheusChecks.parse(CHECK, status, body, "2026-03-01T10:00:00Z");
    assertThat(r.outcome()).isEqualTo(outcome);
    assertThat(r.reason()).isEqualTo(reason);
    assertThat(r.value() == null).isEqualTo(outcome == Outcome.INCONCLUSIVE);
  }

  @ParameterizedTest
  @CsvSource({"{{variant}}, canary", "{{backend}}, canary-pool", "up, up"})
  void placeholdersAreReplaced(String query, String expanded) {
    PrometheusChecks checks =
        new PrometheusChecks(List.of(CHECK), "canary-pool", null, null, Clock.systemUTC());
    assertThat(checks.expand(query)).isEqualTo(expanded);
  }

  @org.junit.jupiter.api.Test
  void beforeAnyAnswerEveryCheckIsInconclusive() {
    PrometheusChecks checks =
        new PrometheusChecks(List.of(CHECK), "canary", null, null, Clock.systemUTC());
    assertThat(checks.results())
        .singleElement()
        .satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.INCONCLUSIVE));
  }
}
