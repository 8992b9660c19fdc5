package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigDiffTest {
  private static final String BASE =
      """
      listen: 127.0.0.1:8080
      ioThreads: 2
      admin: { listen: 127.0.0.1:9901 }
      backends:
        stable: { endpoints: ["127.0.0.1:9001"] }
        canary: { endpoints: ["127.0.0.1:9002"] }
      routing: { canaryPercent: 10 }
      timeouts: { connect: 2s }
      metrics: { interval: 10s }
      """;

  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "canaryPercent: 10|canaryPercent: 20|''",
        "127.0.0.1:9002|127.0.0.1:9003|''",
        "listen: 127.0.0.1:8080|listen: 127.0.0.1:8081|listen/ioThreads",
        "ioThreads: 2|ioThreads: 3|listen/ioThreads",
        "listen: 127.0.0.1:9901|listen: 127.0.0.1:9902|admin",
        "connect: 2s|connect: 3s|timeouts",
        "interval: 10s|interval: 20s|metrics",
      })
  void onlySectionsAReloadCannotApplyAreReported(String from, String to, String expected)
      throws ConfigException {
    ProxyConfig running = ConfigLoader.parse(BASE);
    ProxyConfig next = ConfigLoader.parse(BASE.replace(from, to));

    assertThat(String.join(",", ConfigDiff.restartOnly(running, next))).isEqualTo(expected);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"canaryPercent: 10,canaryPercent: 20", "interval: 10s,interval: 20s"})
  void theLiveConfigTakesBackendsAndRoutingFromTheReloadAndKeepsTheRest(String from, String to)
      throws ConfigException {
    ProxyConfig running = ConfigLoader.parse(BASE);
    ProxyConfig next =
        ConfigLoader.parse(BASE.replace(from, to).replace("127.0.0.1:9002", "127.0.0.1:9003"));

    ProxyConfig live = running.withReloaded(next);

    assertThat(live.backends()).isEqualTo(next.backends());
    assertThat(live.routing()).isEqualTo(next.routing());
    assertThat(live.metrics()).isEqualTo(running.metrics());
    assertThat(live.timeouts()).isEqualTo(running.timeouts());
  }

  @Test
  void thePROXYProtocolSwitchWaitsForARestartAndStaysLiveAfterAReload() throws ConfigException {
    ProxyConfig running = ConfigLoader.parse(BASE + "proxyProtocol: true\n");
    ProxyConfig next = ConfigLoader.parse(BASE.replace("canaryPercent: 10", "canaryPercent: 20"));

    assertThat(ConfigDiff.restartOnly(running, next)).containsExactly("proxyProtocol");
    ProxyConfig live = running.withReloaded(next);
    assertThat(live.proxyProtocol()).isTrue();
    assertThat(live.routing().canaryPercent()).isEqualTo(20.0);
  }
}
