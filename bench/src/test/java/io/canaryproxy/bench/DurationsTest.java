package io.canaryproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {
  @ParameterizedTest
  @CsvSource({
    "500us, 500000",
    "20ms, 20000000",
    "1.5s, 1500000000",
    "30s, 30000000000",
    "2m, 120000000000",
    "1h, 3600000000000",
    "0ms, 0"
  })
  void parsesEveryUnit(String text, long nanos) {
    assertThat(Durations.parse("duration", text)).isEqualTo(Duration.ofNanos(nanos));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "10", "ten s", "-5s", "5 days", "1d"})
  void rejectsOtherTextNamingTheOption(String text) {
    assertThatThrownBy(() -> Durations.parse("warmup", text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("warmup: " + text + " (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }

  @ParameterizedTest
  @CsvSource({"20ms, 20ms", "1500ms, 1.5s", "120s, 2m", "120m, 2h", "0s, 0ms"})
  void formatsCompactly(String in, String out) {
    assertThat(Durations.format(Durations.parse("d", in))).isEqualTo(out);
  }
}
