package io.canaryproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS origination: the proxy speaks TLS to a real TLS backend, verifies its certificate (chain,
 * validity, host name), reuses the pooled connection, and answers 502 {@code tls_handshake_failed}
 * when the certificate is not acceptable.
 */
class BackendTlsIT {
  private static final String GET = "GET /x HTTP/1.1\r\nHost: app\r\n\r\n";

  @TempDir Path dir;
  private TestCertificates certs;
  private StubServer backend;
  private RunningProxy proxy;

  @BeforeEach
  void certificates() throws Exception {
    certs = TestCertificates.create(dir);
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void startBackend(Path[] leaf, boolean requireClientCert) throws Exception {
    SslContextBuilder b = SslContextBuilder.forServer(leaf[0].toFile(), leaf[1].toFile());
    if (requireClientCert) {
      b.trustManager(certs.ca().toFile()).clientAuth(ClientAuth.REQUIRE);
    }
    SslContext context = b.build();
    backend =
        StubServer.startTls(
            context, (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "secure"));
  }

  private void startProxy(String tls) throws Exception {
    proxy =
        new RunningProxy(
            ConfigLoader.parse(
                "listen: 127.0.0.1:0\n"
                    + "ioThreads: 1\n"
                    + "backends:\n"
                    + "  stable: {endpoints: [\"127.0.0.1:"
                    + backend.port()
                    + "\"], tls: "
                    + tls
                    + "}\n"
                    + "  canary: {endpoints: [\"127.0.0.1:"
                    + backend.port()
                    + "\"], tls: "
                    + tls
                    + "}\n"));
  }

  private String trusted() {
    return "{caFile: " + certs.ca() + "}";
  }

  @Test
  void verifiedBackendIsReachedOverOnePooledConnection() throws Exception {
    startBackend(certs.leaf("backend", "backend", null), false);
    startProxy(trusted());
    try (RawHttp http = new RawHttp(proxy.port())) {
      for (int i = 0; i < 3; i++) {
        RawHttp.Response r = http.send(GET).read(false);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.bodyText()).isEqualTo("secure");
      }
    }
    assertThat(backend.connections()).isEqualTo(1); // one handshake, then reuse
  }

  @Test
  void clientCertificateIsPresentedToABackendThatRequiresOne() throws Exception {
    startBackend(certs.leaf("backend", "backend", null), true);
    Path[] client = certs.leaf("proxy-client", "proxy", null);
    startProxy(
        "{caFile: " + certs.ca() + ", certFile: " + client[0] + ", keyFile: " + client[1] + "}");
    try (RawHttp http = new RawHttp(proxy.port())) {
      assertThat(http.send(GET).read(false).bodyText()).isEqualTo("secure");
    }
  }

  @Test
  void expiredCertificateIsATypedFailure() throws Exception {
    startBackend(
        certs.leaf("expired", "expired", "IP:127.0.0.1", "20200101000000Z", "20200201000000Z"),
        false);
    assertHandshakeFailure(trusted());
  }

  @Test
  void notYetValidCertificateIsATypedFailure() throws Exception {
    startBackend(
        certs.leaf("future", "future", "IP:127.0.0.1", "20990101000000Z", "20990201000000Z"),
        false);
    assertHandshakeFailure(trusted());
  }

  @Test
  void certificateForAnotherHostIsATypedFailure() throws Exception {
    startBackend(certs.leaf("backend", "backend", null), false);
    // The certificate names localhost and 127.0.0.1; the proxy is told to expect another name.
    assertHandshakeFailure("{caFile: " + certs.ca() + ", serverName: payments.internal}");
  }

  @Test
  void untrustedCertificateIsATypedFailureUnlessVerificationIsOff() throws Exception {
    TestCertificates other = TestCertificates.create(dir.resolve("other"));
    startBackend(other.leaf("backend", "backend", null), false);
    assertHandshakeFailure(trusted());
    proxy.close();
    startProxy("{insecureSkipVerify: true}");
    try (RawHttp http = new RawHttp(proxy.port())) {
      assertThat(http.send(GET).read(false).status()).isEqualTo(200);
    }
  }

  @Test
  void shadowOverTlsReceivesTheMirroredCopyAndAdminConfigNamesTheProvider() throws Exception {
    startBackend(certs.leaf("backend", "backend", null), false); // the shadow, over TLS
    StubServer stable =
        StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "plain"));
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
          shadow: { endpoints: ["127.0.0.1:%d"], tls: { caFile: "%s" } }
        mirror: { to: shadow, percent: 100 }
        """
            .formatted(stable.endpoint(), stable.endpoint(), backend.port(), certs.ca());
    CanaryProxy live = new CanaryProxy(ConfigLoader.parse(yaml)).start();
    try (RawHttp http = new RawHttp(live.proxyPort())) {
      assertThat(http.send(GET).read(false).bodyText()).isEqualTo("plain");
      await()
          .atMost(Duration.ofSeconds(20))
          .untilAsserted(() -> assertThat(backend.received()).hasSize(1));
      assertThat(backend.received().get(0).header("host")).isEqualTo("app-shadow");
      HttpResponse<String> config =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + live.adminPort() + "/admin/config"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      assertThat(config.body()).contains("\"tlsProvider\":\"" + TlsProvider.name() + "\"");
    } finally {
      live.close();
      stable.close();
    }
  }

  private void assertHandshakeFailure(String tls) throws Exception {
    startProxy(tls);
    try (RawHttp http = new RawHttp(proxy.port())) {
      RawHttp.Response r = http.send(GET).read(false);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("tls_handshake_failed");
    }
    assertThat(backend.received()).isEmpty();
  }
}
