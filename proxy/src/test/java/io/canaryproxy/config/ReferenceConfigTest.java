package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code config/reference.yaml} documents every key and must stay loadable. */
class ReferenceConfigTest {
  private static final Path REFERENCE = Path.of("..", "config", "reference.yaml");

  @Test
  void referenceConfigLoads() throws ConfigException, IOException {
    // Parsed from its text: the token files it names are not on a build machine.
    ProxyConfig c = ConfigLoader.parse(Files.readString(REFERENCE));

    assertThat(c.backends()).containsOnlyKeys("stable", "canary", "shadow");
    assertThat(c.routing().rules()).hasSize(3);
    assertThat(c.routing().anonymousCookie()).isEqualTo(RoutingConfig.AnonymousCookie.DEFAULT);
    assertThat(c.routing().propagate().trustInbound()).containsExactly("10.0.0.0/8");
    assertThat(c.mirror()).isNotNull();
    assertThat(c.rollout()).isNotNull();
  }

  @Test
  void referenceConfigNamesEveryKey() throws IOException {
    String text = Files.readString(REFERENCE);
    // AnalysisConfig is flat in Java but nested in YAML; these components are spelled differently
    // there.
    Set<String> renamed =
        Set.of(
            "maxErrorIncrease",
            "grpcErrorCodes", // metrics.grpc.errorCodes
            "errorTolerance",
            "lifecycle",
            "historySize",
            "prometheusUrl",
            "jsonField", // only with revision.url, which the reference leaves commented out
            "backend", // an experiment arm's; the reference's arms are commented out
            "kind",
            "name",
            "match",
            "header",
            "cookie",
            "path",
            "to",
            "op",
            "value");
    List<String> missing = new ArrayList<>();
    for (Class<?> type :
        List.of(
            ProxyConfig.class,
            AdminConfig.class,
            BackendConfig.class,
            RoutingConfig.class,
            RoutingConfig.OverrideConfig.class,
            RoutingConfig.AnonymousCookie.class,
            RoutingConfig.Propagate.class,
            RoutingConfig.Arm.class,
            MirrorConfig.class,
            MirrorConfig.CompareConfig.class,
            MirrorConfig.EjectionConfig.class,
            RolloutConfig.class,
            RolloutConfig.AnalysisConfig.class,
            LifecycleConfig.class,
            LifecycleConfig.Gate.class,
            LifecycleConfig.GatesConfig.class,
            LifecycleConfig.RevisionConfig.class,
            LifecycleConfig.MetricCheckConfig.class,
            CoordinationConfig.class,
            TimeoutsConfig.class,
            LimitsConfig.class,
            Http2LimitsConfig.class,
            MetricsConfig.class,
            AccessLogConfig.class,
            DrainConfig.class,
            DnsConfig.class,
            TlsConfig.class,
            BackendTlsConfig.class)) {
      for (RecordComponent rc : type.getRecordComponents()) {
        String key = rc.getName();
        if (!renamed.contains(key)
            && !Pattern.compile("(?m)^\\s*" + key + ":").matcher(text).find()) {
          missing.add(type.getSimpleName() + "." + key);
        }
      }
    }
    assertThat(missing).isEmpty();
    assertThat(text)
        .contains(
            "# jsonField:",
            "#     backend: checkout-b",
            "maxIncrease:",
            "maxRatio:",
            "header:",
            "cookie:",
            "path:",
            "equals:",
            "prefix:",
            "regex:",
            "present:");
  }
}
