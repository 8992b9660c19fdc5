package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canaryproxy.net.Cidr;
import io.canaryproxy.testing.RepoFiles;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every example in {@code config/} loads, and the deployment examples say what their comments
 * claim.
 */
class ExampleConfigsTest {
  private static final String CLUSTER_DNS = ".svc.cluster.local";

  static Stream<Path> examples() throws IOException {
    try (Stream<Path> files = Files.list(RepoFiles.file("config"))) {
      List<Path> yaml = files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
      assertThat(yaml)
          .extracting(p -> p.getFileName().toString())
          .contains("demo.yaml", "reference.yaml", "ingress.yaml", "sidecar.yaml");
      return yaml.stream();
    }
  }

  @ParameterizedTest
  @MethodSource("examples")
  void everyExampleLoads(Path file) throws ConfigException, IOException {
    ProxyConfig c = withoutItsFiles(file);

    assertThat(c.backends()).containsKeys(c.routing().stable(), c.routing().canary());
  }

  @Test
  void theContractsExampleIsTheOneTheLoaderTestLoads() throws IOException {
    String contract = Files.readString(RepoFiles.file("docs/contract.md"));
    int start = contract.indexOf("```yaml\n") + "```yaml\n".length();

    assertThat(contract.substring(start, contract.indexOf("```", start)))
        .isEqualTo(ConfigLoaderTest.CONTRACT_EXAMPLE);
  }

  @Test
  void theContractsConfigSectionNamesEveryKeyOfTheReference() throws IOException {
    String contract = Files.readString(RepoFiles.file("docs/contract.md"));
    String section =
        contract.substring(
            contract.indexOf("## 2. Configuration"), contract.indexOf("## 3. Reloading"));
    Matcher key =
        Pattern.compile("(?m)^\\s*-?\\s*([A-Za-z]+):")
            .matcher(Files.readString(RepoFiles.file("config/reference.yaml")));
    List<String> missing = new ArrayList<>();
    while (key.find()) {
      String name = key.group(1);
      if (!Pattern.compile("(?<![A-Za-z])" + name + "(?![A-Za-z])").matcher(section).find()) {
        missing.add(name);
      }
    }

    assertThat(missing).as("keys of config/reference.yaml absent from docs/contract.md").isEmpty();
  }

  @Test
  void demoBackendsAreLoopbackBecauseTheDemoStartsThemInProcess() throws ConfigException {
    ProxyConfig c = load("demo.yaml");

    assertThat(c.backends().values())
        .flatExtracting(BackendConfig::endpoints)
        .allSatisfy(hp -> assertThat(isLoopback(hp)).as(hp.toString()).isTrue());
  }

  @Test
  void ingressListensOnThePodAndGuardsItsAdminPort() throws ConfigException {
    ProxyConfig c = load("ingress.yaml");

    assertThat(c.listen()).isEqualTo(new HostPort("0.0.0.0", 8080));
    assertThat(c.admin().listen()).isEqualTo(new HostPort("0.0.0.0", 9901));
    assertThat(c.admin().tokenFile()).isEqualTo(Path.of("/run/secrets/canary-proxy/token"));
  }

  @Test
  void ingressForwardsToClusterServices() throws ConfigException {
    ProxyConfig c = load("ingress.yaml");

    for (String pool : List.of(c.routing().stable(), c.routing().canary(), c.mirror().to())) {
      assertThat(c.backends().get(pool).endpoints())
          .as(pool)
          .singleElement()
          .satisfies(hp -> assertThat(hp.host()).endsWith(CLUSTER_DNS));
    }
    assertThat(c.backends().get("stable").endpoints().get(0).host())
        .isNotEqualTo(c.backends().get("canary").endpoints().get(0).host());
  }

  @Test
  void ingressTrustsOverridesOnlyFromTheClusterAndHasUserKeysAndRules() throws ConfigException {
    RoutingConfig r = load("ingress.yaml").routing();

    assertThat(r.userKey())
        .extracting(RoutingConfig.UserKeySource::kind)
        .containsExactly(
            RoutingConfig.UserKeySource.Kind.HEADER, RoutingConfig.UserKeySource.Kind.COOKIE);
    assertThat(r.override().trustedCidrs()).isNotEmpty();
    Cidr cluster = Cidr.parse(r.override().trustedCidrs().get(0));
    assertThat(cluster.contains(InetAddress.getLoopbackAddress())).isFalse();
    assertThat(r.rules()).isNotEmpty();
  }

  @Test
  void ingressMirrorsASmallSampleToTheShadowAndKeepsRolloutStateInTheStateDirectory()
      throws ConfigException {
    ProxyConfig c = load("ingress.yaml");

    assertThat(c.mirror().to()).isNotIn(c.routing().stable(), c.routing().canary());
    assertThat(c.mirror().percent()).isBetween(0.1, 5.0);
    assertThat(c.rollout().stateFile())
        .isEqualTo(Path.of("/var/lib/canary-proxy/rollout-state.json"));
  }

  @Test
  void sidecarServesTheCanaryFromTheLocalAppAndStableFromTheService() throws ConfigException {
    ProxyConfig c = load("sidecar.yaml");

    assertThat(c.backends().get(c.routing().canary()).endpoints())
        .containsExactly(new HostPort("127.0.0.1", 8081));
    assertThat(c.backends().get(c.routing().stable()).endpoints())
        .singleElement()
        .satisfies(hp -> assertThat(hp.host()).endsWith(CLUSTER_DNS));
    assertThat(c.listen().port()).isNotEqualTo(8081);
  }

  @Test
  void sidecarHasAFixedPercentAndNoPerPodRollout() throws ConfigException {
    ProxyConfig c = load("sidecar.yaml");

    assertThat(c.rollout()).isNull();
    assertThat(c.routing().canaryPercent()).isGreaterThan(0).isLessThan(100);
    assertThat(c.admin().tokenFile()).isNotNull();
  }

  @Test
  void loadingAnExampleAlsoReadsItsTokenFileWhichExistsOnlyInThePod() {
    Path file = RepoFiles.file("config/ingress.yaml");

    assertThatThrownBy(() -> ConfigLoader.load(file))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "admin.tokenFile: /run/secrets/canary-proxy/token (cannot be read: no such file;"
                + " expected: a regular file of at most 4 KiB holding the token)");
  }

  private static ProxyConfig load(String name) throws ConfigException {
    try {
      return withoutItsFiles(RepoFiles.file("config/" + name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The example parsed and validated, without reading the token files it names: those exist only
   * where it is deployed.
   */
  static ProxyConfig withoutItsFiles(Path file) throws ConfigException, IOException {
    return ConfigLoader.parse(Files.readString(file));
  }

  private static boolean isLoopback(HostPort hp) {
    InetAddress a = Cidr.parseLiteral(hp.host());
    return a != null && a.isLoopbackAddress();
  }
}
