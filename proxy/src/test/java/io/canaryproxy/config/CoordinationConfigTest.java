package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.canaryproxy.config.CoordinationConfig.FailSafe;
import io.canaryproxy.config.CoordinationConfig.Store;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** {@code rollout.coordination}: defaults, a full section, and one row per validation rule. */
class CoordinationConfigTest {
  private static final String BASE =
      "backends: {stable: {endpoints: [\"127.0.0.1:1\"]}, canary: {endpoints:"
          + " [\"127.0.0.1:2\"]}}\n"
          + "rollout:\n  steps: [10, 100]\n";

  @Test
  void absentSectionIsTheStateFileOfOneReplica() throws ConfigException {
    ProxyConfig c = ConfigLoader.parse(BASE);
    assertThat(c.rollout().coordination()).isEqualTo(CoordinationConfig.FILE);
    assertThat(c.rollout().coordination().store()).isEqualTo(Store.FILE);
  }

  @Test
  void readsEveryKey() throws ConfigException {
    ProxyConfig c =
        ConfigLoader.parse(
            BASE
                + "  coordination:\n"
                + "    store: etcd\n"
                + "    endpoints: [\"http://10.0.0.1:2379\", \"https://etcd.example:2379\"]\n"
                + "    prefix: /canary/checkout\n"
                + "    replicaId: pod-a\n"
                + "    leaseTtl: 15s\n"
                + "    staleAfter: 2m\n"
                + "    failSafe: stable\n");
    assertThat(c.rollout().coordination())
        .isEqualTo(
            new CoordinationConfig(
                Store.ETCD,
                List.of(
                    URI.create("http://10.0.0.1:2379"), URI.create("https://etcd.example:2379")),
                "/canary/checkout",
                "pod-a",
                Duration.ofSeconds(15),
                Duration.ofMinutes(2),
                FailSafe.STABLE));
  }

  static Stream<Arguments> cases() {
    return Stream.of(
        arguments(
            "{store: zookeeper}",
            "rollout.coordination.store: \"zookeeper\" (expected: file | etcd | kubernetes)"),
        arguments(
            "{store: etcd}",
            "rollout.coordination.endpoints: missing (expected: a list of etcd client URLs with"
                + " store: etcd)"),
        arguments(
            "{store: etcd, endpoints: []}",
            "rollout.coordination.endpoints: [] (expected: a non-empty list of etcd client URLs)"),
        arguments(
            "{store: etcd, endpoints: [\"127.0.0.1:2379\"]}",
            "rollout.coordination.endpoints[0]: \"127.0.0.1:2379\" (expected: an etcd client URL"
                + " such as http://127.0.0.1:2379)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], prefix: canary/}",
            "rollout.coordination.prefix: \"canary/\" (expected: a key prefix starting with / and"
                + " not ending with /, at most 200 chars)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], leaseTtl: 1s}",
            "rollout.coordination.leaseTtl: \"1s\" (expected: a duration 3s..5m)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], staleAfter: 2h}",
            "rollout.coordination.staleAfter: \"2h\" (expected: a duration 1s..1h)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], failSafe: canary}",
            "rollout.coordination.failSafe: \"canary\" (expected: hold | stable)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], replicaId: \"\"}",
            "rollout.coordination.replicaId: \"\" (expected: a non-empty id of at most 200 chars)"),
        arguments(
            "{lease: 10s}",
            "rollout.coordination.lease: unknown key (expected: one of store, endpoints, prefix,"
                + " replicaId, leaseTtl, staleAfter, failSafe, username, passwordFile, tls,"
                + " namespace, kubeconfig, name)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], tls: {caFile: /etc/ca.pem}}",
            "rollout.coordination.tls: set (expected: only https:// endpoints with tls)"),
        arguments(
            "{store: etcd, endpoints: [\"https://127.0.0.1:2379\"], tls: {certFile: /c.pem}}",
            "rollout.coordination.tls.keyFile: missing (expected: certFile and keyFile together,"
                + " for a client certificate)"),
        arguments(
            "{store: etcd, endpoints: [\"https://127.0.0.1:2379\"], tls: {serverName: \"a b\"}}",
            "rollout.coordination.tls.serverName: \"a b\" (expected: a host name such as"
                + " api.internal)"),
        arguments(
            "{store: etcd, endpoints: [\"https://127.0.0.1:2379\"], tls: {enabled: true}}",
            "rollout.coordination.tls.enabled: unknown key (expected: one of caFile, certFile,"
                + " keyFile, serverName, insecureSkipVerify)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], namespace: canary}",
            "rollout.coordination.namespace: set (expected: only with store: kubernetes)"),
        arguments(
            "{store: kubernetes, endpoints: [\"http://127.0.0.1:2379\"]}",
            "rollout.coordination.endpoints: set (expected: only with store: etcd)"),
        arguments(
            "{store: kubernetes, namespace: Canary_NS}",
            "rollout.coordination.namespace: \"Canary_NS\" (expected: a Kubernetes namespace name"
                + " ([a-z0-9-], at most 63 chars))"),
        arguments(
            "{store: kubernetes, name: -lease}",
            "rollout.coordination.name: \"-lease\" (expected: a Kubernetes object name ([a-z0-9-],"
                + " at most 40 chars))"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], username: canary}",
            "rollout.coordination.passwordFile: missing (expected: a file holding the etcd"
                + " password of username)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], passwordFile: /run/pw}",
            "rollout.coordination.username: missing (expected: the etcd user whose password"
                + " passwordFile holds)"),
        arguments(
            "{store: etcd, endpoints: [\"http://127.0.0.1:2379\"], username: \"\","
                + " passwordFile: /run/pw}",
            "rollout.coordination.username: \"\" (expected: a non-empty etcd user name of at most"
                + " 200 chars)"));
  }

  @Test
  void readsTheCredentialsAndChecksThePasswordFileWhenLoadingAFile(@TempDir Path dir)
      throws Exception {
    Path password = Files.writeString(dir.resolve("etcd-password"), "s3cret\n");
    String section =
        "  coordination: {store: etcd, endpoints: [\"http://127.0.0.1:2379\"], username: canary,"
            + " passwordFile: \""
            + password
            + "\"}\n";
    Path config = Files.writeString(dir.resolve("config.yaml"), BASE + section);

    CoordinationConfig c = ConfigLoader.load(config).rollout().coordination();
    assertThat(c.username()).isEqualTo("canary");
    assertThat(c.passwordFile()).isEqualTo(password);
    assertThat(ConfigFiles.readEtcdPassword(c)).isEqualTo("s3cret");

    Files.writeString(password, "  \n");
    ConfigException e =
        catchThrowableOfType(() -> ConfigLoader.load(config), ConfigException.class);
    assertThat(e.errors())
        .containsExactly(
            "rollout.coordination.passwordFile: "
                + password
                + " (cannot be read: empty; expected: a regular file of at most 4 KiB holding the"
                + " password)");
  }

  @ParameterizedTest
  @MethodSource("cases")
  void reportsThePathAndWhatWasExpected(String section, String expected) {
    String doc = BASE + "  coordination: " + section + "\n";

    ConfigException e = catchThrowableOfType(() -> ConfigLoader.parse(doc), ConfigException.class);

    assertThat(e).as("no error for %s", section).isNotNull();
    assertThat(e.errors()).containsExactly(expected);
  }
}
