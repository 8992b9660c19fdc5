package io.canaryproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.SslContextBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A backend's CA file rotated while the proxy runs: new backend connections trust the new CA
 * without a restart, a connection pooled before keeps working, and a file that cannot be used
 * leaves the previous trust in place. The files are replaced by rename, as a Secret volume does.
 */
class BackendTlsReloadIT {
  private static final String OVERRIDE = "x-canary";

  @TempDir Path dir;
  private StubServer stable;
  private StubServer canary;
  private RunningProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (stable != null) {
      stable.close();
    }
    if (canary != null) {
      canary.close();
    }
  }

  private static StubServer tlsBackend(Path[] leaf, String body) throws Exception {
    return StubServer.startTls(
        SslContextBuilder.forServer(leaf[0].toFile(), leaf[1].toFile()).build(),
        (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, body));
  }

  /** Writes {@code content} to {@code target} through a rename, never a half-written file. */
  private void replace(Path target, byte[] content) throws Exception {
    Path tmp = Files.createTempFile(dir, "swap", ".pem");
    Files.write(tmp, content);
    Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  /** A proxy whose stable and canary backends are verified against {@code caFile}. */
  private RunningProxy proxyTrusting(Path caFile) throws Exception {
    String tls = "tls: {caFile: \"" + caFile + "\"}";
    return new RunningProxy(
        ConfigLoader.parse(
            """
            listen: 127.0.0.1:0
            ioThreads: 1
            backends:
              stable: {endpoints: ["127.0.0.1:%d"], %s}
              canary: {endpoints: ["127.0.0.1:%d"], %s}
            routing:
              override: {header: %s, trustedCidrs: [127.0.0.1/32]}
            """
                .formatted(stable.port(), tls, canary.port(), tls, OVERRIDE)));
  }

  private static RawHttp.Response get(RawHttp http, String variant) throws Exception {
    return http.send("GET /x HTTP/1.1\r\nHost: app\r\n" + OVERRIDE + ": " + variant + "\r\n\r\n")
        .read(false);
  }

  @Test
  void rotatedCaFileIsTrustedByNewConnectionsWhileAPooledOneKeepsGoing() throws Exception {
    TestCertificates oldCa = TestCertificates.create(dir.resolve("old"));
    TestCertificates newCa = TestCertificates.create(dir.resolve("new"));
    stable = tlsBackend(oldCa.leaf("stable", "stable", null), "stable"); // signed by the old CA
    canary = tlsBackend(newCa.leaf("canary", "canary", null), "canary"); // signed by the new CA
    Path caFile = dir.resolve("ca.pem");
    Files.copy(oldCa.ca(), caFile);
    proxy = proxyTrusting(caFile);
    try (RawHttp http = new RawHttp(proxy.port())) {
      assertThat(get(http, "stable").bodyText()).isEqualTo("stable");
      RawHttp.Response refused = get(http, "canary");
      assertThat(refused.status()).isEqualTo(502);
      assertThat(refused.header("x-canary-proxy-error")).isEqualTo("tls_handshake_failed");

      replace(caFile, Files.readAllBytes(newCa.ca()));

      // No restart, no config reload: the watcher sees the file and the next handshake trusts it.
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(get(http, "canary").bodyText()).isEqualTo("canary"));
      // The connection to stable, verified under the old CA, stays pooled and in use.
      assertThat(get(http, "stable").bodyText()).isEqualTo("stable");
      assertThat(stable.connections()).isEqualTo(1);
    }
  }

  @Test
  void unusableNewCaFileKeepsThePreviousTrust() throws Exception {
    TestCertificates ca = TestCertificates.create(dir.resolve("ca"));
    TestCertificates other = TestCertificates.create(dir.resolve("other"));
    stable = tlsBackend(ca.leaf("stable", "stable", null), "stable");
    canary = tlsBackend(other.leaf("canary", "canary", null), "canary");
    Path caFile = dir.resolve("ca.pem");
    Files.copy(ca.ca(), caFile);
    proxy = proxyTrusting(caFile);
    try (RawHttp http = new RawHttp(proxy.port())) {
      replace(caFile, "not a certificate\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(BackendTls.reloadChanged()).as("the unusable file is refused").isFalse();
      // A new connection (stable's first) is still verified under the previous CA.
      assertThat(get(http, "stable").bodyText()).isEqualTo("stable");
      assertThat(get(http, "canary").status()).isEqualTo(502);

      replace(caFile, Files.readAllBytes(other.ca()));
      assertThat(BackendTls.reloadChanged()).isTrue();
      assertThat(get(http, "canary").bodyText()).isEqualTo("canary");
    }
  }
}
