package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The textual values of the config: durations, sizes and {@code host:port}. */
class ValueParsersTest {
  @ParameterizedTest
  @CsvSource({"500ms, 500", "0ms, 0", "10s, 10000", "2m, 120000", "1h, 3600000", "90s, 90000"})
  void parsesDurations(String text, long millis) {
    assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "10",
        "s",
        "1.5s",
        "-1s",
        "10 s",
        " 10s",
        "10S",
        "2d",
        "10sec",
        "1000000000000000h"
      })
  void rejectsOtherDurations(String text) {
    assertThatThrownBy(() -> Durations.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("\"" + text + "\" (expected: a duration such as 500ms, 10s, 2m or 1h)");
  }

  @ParameterizedTest
  @CsvSource({
    "0, 0",
    "1048576, 1048576",
    "64KiB, 65536",
    "10MiB, 10485760",
    "1GiB, 1073741824",
    "8589934591GiB, 9223372035781033984"
  })
  void parsesSizes(String text, long bytes) {
    assertThat(Sizes.parse(text)).isEqualTo(bytes);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "KiB",
        "64KB",
        "64kib",
        "64 KiB",
        "1.5MiB",
        "-1",
        "1TiB",
        "8589934592GiB",
        "9999999999999999999"
      })
  void rejectsOtherSizes(String text) {
    assertThatThrownBy(() -> Sizes.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("\"" + text + "\" (expected: a size in bytes");
  }

  @ParameterizedTest
  @CsvSource({
    "127.0.0.1:8080, 127.0.0.1, 8080, 127.0.0.1:8080",
    "backend.svc:80, backend.svc, 80, backend.svc:80",
    "[::1]:0, ::1, 0, [::1]:0",
    "[fd00::1]:65535, fd00::1, 65535, [fd00::1]:65535"
  })
  void parsesHostPort(String text, String host, int port, String printed) {
    HostPort hp = HostPort.parse(text);

    assertThat(hp).isEqualTo(new HostPort(host, port));
    assertThat(hp).hasToString(printed);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "host", "host:", ":80", "::1:80", "[::1]", "[::1:80", "[]:80", "h:65536", "h:8o", "h:-1",
        "a b:80", "h/x:80"
      })
  void rejectsOtherHostPorts(String text) {
    assertThatThrownBy(() -> HostPort.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
