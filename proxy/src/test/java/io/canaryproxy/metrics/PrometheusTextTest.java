package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The strict reader used by the metrics tests must itself reject what Prometheus would reject. */
class PrometheusTextTest {
  private static final String HEAD = "# HELP m_total help\n# TYPE m_total counter\n";

  @ParameterizedTest
  @ValueSource(
      strings = {
        HEAD + "m_total{a=\"1\"} one\n",
        HEAD + "m_total{a=1} 1.0\n",
        HEAD + "m-total 1.0\n",
        HEAD + "m_total{a=\"1\"}1.0\n",
        "# TYPE m_total counter\nm_total 1.0\n",
        "# HELP m_total help\nm_total 1.0\n",
        HEAD + "# random comment\nm_total 1.0\n"
      })
  void rejectsMalformedExposition(String text) {
    assertThatThrownBy(() -> PrometheusText.parseStrict(text)).isInstanceOf(AssertionError.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0", "+Inf", "1.5E-4", "0"})
  void acceptsWellFormedSamples(String value) {
    String text = HEAD + "m_total{a=\"x \\\"q\\\"\",b=\"2\"} " + value + "\n";

    assertThat(PrometheusText.parseStrict(text))
        .singleElement()
        .satisfies(s -> assertThat(s.labels()).isEqualTo(Map.of("a", "x \\\"q\\\"", "b", "2")));
  }
}
