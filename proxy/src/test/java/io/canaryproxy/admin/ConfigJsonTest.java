package io.canaryproxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigJsonTest {
  @ParameterizedTest
  @CsvSource({
    "https://hooks.example.com/x, https://hooks.example.com/x",
    "https://user:pw@hooks.example.com/x, https://hooks.example.com/x",
    "https://hooks.example.com:8443/x?token=abc, https://hooks.example.com:8443/x?<redacted>",
    "http://u@h.example/a%20b#frag, http://h.example/a%20b",
  })
  void urlsLoseUserInfoQueryAndFragment(String in, String out) {
    assertThat(ConfigJson.redact(URI.create(in))).isEqualTo(out);
  }

  @ParameterizedTest
  @CsvSource({"PT0.5S, 500ms", "PT10S, 10s", "PT2M, 2m", "PT90S, 90s", "PT0S, 0ms"})
  void durationsAreWrittenAsInTheYaml(Duration in, String out) {
    assertThat(ConfigJson.duration(in)).isEqualTo(out);
  }
}
