package io.canaryproxy.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.routing.Variant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The tunnel meters as Prometheus scrapes them: names, labels, and what each event changes. */
class TunnelMetersTest {
  private final MicrometerBinding binding = new MicrometerBinding();
  private final TunnelMeters meters = new TunnelMeters(binding.registry());

  @AfterEach
  void close() {
    binding.close();
  }

  private double value(String name, String variant) {
    return PrometheusText.parseStrict(binding.prometheusRegistry().scrape()).stream()
        .filter(s -> s.name().equals(name) && variant.equals(s.labels().get("variant")))
        .filter(s -> !s.labels().containsKey("le"))
        .mapToDouble(PrometheusText.Sample::value)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + "{variant=" + variant + "}"));
  }

  @Test
  void everyPrimaryVariantIsExportedAtZeroBeforeAnyTunnel() {
    for (String v : List.of("stable", "canary", "other")) {
      assertThat(value("canary_proxy_upgrades_total", v)).isZero();
      assertThat(value("canary_proxy_tunnels_open", v)).isZero();
      assertThat(value("canary_proxy_tunnel_duration_seconds_count", v)).isZero();
    }
    assertThat(PrometheusText.parseStrict(binding.prometheusRegistry().scrape()))
        .filteredOn(s -> s.name().contains("tunnel") || s.name().contains("upgrades"))
        .isNotEmpty()
        .noneMatch(s -> "shadow".equals(s.labels().get("variant")));
  }

  @Test
  void openAndCloseMoveTheCounterTheGaugeAndTheHistogramOfTheirVariant() {
    meters.onTunnelOpened(Variant.CANARY);
    meters.onTunnelOpened(Variant.CANARY);
    meters.onTunnelOpened(Variant.STABLE);
    assertThat(value("canary_proxy_upgrades_total", "canary")).isEqualTo(2);
    assertThat(value("canary_proxy_tunnels_open", "canary")).isEqualTo(2);
    assertThat(value("canary_proxy_tunnels_open", "stable")).isEqualTo(1);

    meters.onTunnelClosed(Variant.CANARY, TimeUnit.SECONDS.toNanos(90));
    assertThat(value("canary_proxy_tunnels_open", "canary")).isEqualTo(1);
    assertThat(value("canary_proxy_upgrades_total", "canary")).isEqualTo(2);
    assertThat(value("canary_proxy_tunnel_duration_seconds_count", "canary")).isEqualTo(1);
    assertThat(value("canary_proxy_tunnel_duration_seconds_sum", "canary")).isEqualTo(90);
    Map<String, Double> buckets =
        PrometheusText.parseStrict(binding.prometheusRegistry().scrape()).stream()
            .filter(s -> s.name().equals("canary_proxy_tunnel_duration_seconds_bucket"))
            .filter(s -> "canary".equals(s.labels().get("variant")))
            .collect(
                java.util.stream.Collectors.toMap(
                    s -> s.labels().get("le"), PrometheusText.Sample::value));
    assertThat(buckets).containsEntry("60.0", 0.0).containsEntry("600.0", 1.0);
  }
}
