package io.canaryproxy.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.config.BackendTlsConfig;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.demo.LocalEtcd;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollout.coordination.tls} against a real etcd serving TLS with client certificates
 * required ({@code --cert-file --key-file --trusted-ca-file --client-cert-auth}), certificates made
 * by openssl for the test (the server's names {@code localhost} and 127.0.0.1): a replica with the
 * CA and a client certificate joins and leads; without the client certificate, with another server
 * name, or with an untrusted CA, the client is refused; {@code serverName} and {@code
 * insecureSkipVerify} change what is checked. Skipped, with the reason printed, when etcd or
 * openssl is not installed.
 */
class EtcdTlsIT {
  @TempDir Path dir;

  private TestCertificates certs;
  private Path[] client;
  private LocalEtcd etcd;
  private StubServer backend;
  private CanaryProxy proxy;

  @BeforeEach
  void start() throws Exception {
    Optional<Path> bin = LocalEtcd.onPath();
    assumeTrue(
        bin.isPresent(),
        () -> {
          String reason = "EtcdTlsIT SKIPPED: no etcd on the PATH (apt-get install etcd-server)";
          System.out.println(reason);
          return reason;
        });
    certs = TestCertificates.create(dir.resolve("certs"));
    Path[] server = certs.leaf("etcd", "etcd", null);
    client = certs.leaf("client", "canary-proxy", null);
    etcd =
        LocalEtcd.startTls(
            bin.get(),
            dir,
            List.of(
                "--cert-file",
                server[0].toString(),
                "--key-file",
                server[1].toString(),
                "--trusted-ca-file",
                certs.ca().toString(),
                "--client-cert-auth"),
            EtcdTls.context(tls(certs.ca(), client, null, false)));
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aReplicaWithTheCaAndAClientCertificateJoinsTheFleetOverTls() throws Exception {
    assertThat(etcd.endpoint().getScheme()).isEqualTo("https");
    backend = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok\n"));
    proxy =
        new CanaryProxy(
                ConfigLoader.parse(
                    """
                    listen: 127.0.0.1:0
                    ioThreads: 1
                    admin: { listen: 127.0.0.1:0 }
                    backends:
                      stable: { endpoints: ["%s"] }
                      canary: { endpoints: ["%s"] }
                    routing: { userKey: [{ header: x-user-id }], salt: "tls-it" }
                    rollout:
                      steps: [20, 100]
                      stepInterval: 10m
                      stateFile: "%s"
                      coordination:
                        store: etcd
                        endpoints: ["%s"]
                        prefix: /tls-it
                        replicaId: r0
                        leaseTtl: 3s
                        tls: { caFile: "%s", certFile: "%s", keyFile: "%s" }
                    """
                        .formatted(
                            backend.endpoint(),
                            backend.endpoint(),
                            dir.resolve("unused.json"),
                            etcd.endpoint(),
                            certs.ca(),
                            client[0],
                            client[1])))
            .start();
    await().atMost(Duration.ofSeconds(20)).until(() -> proxy.coordinator().isLeader());
    assertThat(proxy.coordinator().status().stale()).isFalse();
    try (EtcdClient c = client(tls(certs.ca(), client, null, false))) {
      // the state the replica stored is there, read over TLS by another client
      assertThat(c.get("/tls-it/ctl/state").kvs()).hasSize(1);
      assertThat(
              new String(c.get("/tls-it/ctl/leader").kvs().get(0).value(), StandardCharsets.UTF_8))
          .isEqualTo("r0");
    }
  }

  @Test
  void withoutAClientCertificateEtcdRefusesTheClient() throws Exception {
    try (EtcdClient c = client(tls(certs.ca(), null, null, false))) {
      assertThatThrownBy(() -> c.grant(Duration.ofSeconds(3))).isInstanceOf(IOException.class);
    }
  }

  @Test
  void theServerMustBeNamedByItsCertificateOrByServerName() throws Exception {
    try (EtcdClient c = client(tls(certs.ca(), client, "other.example", false))) {
      assertThatThrownBy(() -> c.grant(Duration.ofSeconds(3))).isInstanceOf(IOException.class);
    }
    // reached at 127.0.0.1, checked against the name the certificate also carries
    try (EtcdClient c = client(tls(certs.ca(), client, "localhost", false))) {
      assertThat(c.grant(Duration.ofSeconds(3))).isNotZero();
    }
  }

  @Test
  void anUntrustedServerIsRefusedUnlessInsecureSkipVerify() throws Exception {
    try (EtcdClient c = client(tls(null, client, null, false))) { // the JDK's CAs only
      assertThatThrownBy(() -> c.grant(Duration.ofSeconds(3))).isInstanceOf(IOException.class);
    }
    try (EtcdClient c = client(tls(null, client, null, true))) {
      assertThat(c.grant(Duration.ofSeconds(3))).isNotZero();
    }
  }

  private EtcdClient client(BackendTlsConfig tls) throws IOException {
    return new EtcdClient(
        List.of(etcd.endpoint()), Duration.ofSeconds(5), (n, ok) -> {}, null, EtcdTls.context(tls));
  }

  private static BackendTlsConfig tls(Path ca, Path[] cert, String serverName, boolean insecure) {
    return new BackendTlsConfig(
        true,
        ca,
        cert == null ? null : cert[0],
        cert == null ? null : cert[1],
        serverName,
        insecure);
  }
}
