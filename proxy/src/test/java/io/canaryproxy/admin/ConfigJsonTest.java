package io.canaryproxy.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigLoader;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
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

  @Test
  void effectiveConfigKeepsTheKeysAtTheTopAndAddsTheTlsProvider() throws Exception {
    EffectiveConfig effective =
        new EffectiveConfig(
            ConfigLoader.parse(
                "listen: 127.0.0.1:8443\nbackends: {stable: {endpoints: [\"127.0.0.1:1\"]},"
                    + " canary: {endpoints: [\"127.0.0.1:2\"]}}\n"
                    + "tls: {certFile: /tls/tls.crt, keyFile: /tls/tls.key}\n"),
            "openssl");

    JsonNode json = new ObjectMapper().readTree(ConfigJson.render(effective));

    assertThat(json.get("listen").asText()).isEqualTo("127.0.0.1:8443");
    assertThat(json.get("tlsProvider").asText()).isEqualTo("openssl");
    assertThat(json.at("/tls/certFile").asText()).isEqualTo("/tls/tls.crt");
    assertThat(json.at("/tls/clientAuth").asText()).isEqualTo("none");
    assertThat(json.has("config")).isFalse();
  }
}
