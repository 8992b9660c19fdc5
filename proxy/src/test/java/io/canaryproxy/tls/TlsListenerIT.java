package io.canaryproxy.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.config.TlsConfig;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.canaryproxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS termination on the listener with real clients: curl, {@code openssl s_client} and the JDK's
 * {@code SSLSocket}, against certificates that openssl makes for the test.
 */
class TlsListenerIT {
  @TempDir Path dir;
  private TestCertificates certs;
  private StubServer stable;
  private StubServer canary;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    certs = TestCertificates.create(dir);
    certs.leaf("server", "canary proxy test", null);
    stable =
        StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable\n"));
    canary =
        StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "canary\n"));
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (stable != null) {
      stable.close();
      canary.close();
    }
  }

  private void startProxy(
      TlsConfig.ClientAuth auth, List<String> protocols, List<UserKeySource> keys)
      throws InterruptedException {
    RoutingConfig base = TestConfigs.routing(100, List.of(), "127.0.0.1/32");
    RoutingConfig routing =
        new RoutingConfig(
            base.stable(),
            base.canary(),
            keys,
            100,
            base.salt(),
            base.anonymous(),
            base.override(),
            base.rules(),
            true);
    ProxyConfig config =
        TestConfigs.proxy(
                Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
                routing,
                new TimeoutsConfig(
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(30),
                    Duration.ofSeconds(60),
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(60)),
                TestConfigs.defaultLimits())
            .withListenerSecurity(
                new TlsConfig(
                    dir.resolve("server.pem"),
                    dir.resolve("server.key"),
                    auth == TlsConfig.ClientAuth.NONE ? null : certs.ca(),
                    auth,
                    protocols,
                    List.of()),
                false);
    proxy = new RunningProxy(config);
  }

  private void startProxy() throws InterruptedException {
    startProxy(TlsConfig.ClientAuth.NONE, TlsConfig.PROTOCOLS, List.of());
  }

  private static String[] run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new String[] {String.valueOf(p.exitValue()), out, err};
  }

  private String[] curl(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of("curl", "-sS", "--max-time", "20", "--cacert", certs.ca().toString()));
    cmd.addAll(List.of(args));
    return run(cmd.toArray(new String[0]));
  }

  private String httpsUrl(String path) {
    return "https://localhost:" + proxy.port() + path;
  }

  private String sClient(String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "openssl",
                "s_client",
                "-connect",
                "127.0.0.1:" + proxy.port(),
                "-servername",
                "localhost",
                "-CAfile",
                certs.ca().toString()));
    cmd.addAll(List.of(args));
    String[] r = run(cmd.toArray(new String[0]));
    return r[1] + r[2];
  }

  @Test
  void curlOverTlsIsForwardedWithForwardedProtoHttps() throws Exception {
    startProxy();
    String[] r = curl("-v", "--http1.1", httpsUrl("/a"), httpsUrl("/b"));
    assertThat(r[0]).as(r[2]).isEqualTo("0");
    assertThat(r[1].lines().toList()).containsExactly("stable", "stable");
    assertThat(r[2])
        .contains("ALPN: server accepted http/1.1")
        .contains("Re-using existing connection");
    assertThat(stable.received()).hasSize(2);
    assertThat(stable.received().get(0).header("x-forwarded-proto")).isEqualTo("https");
    assertThat(stable.received().get(0).header("x-forwarded-for")).isEqualTo("127.0.0.1");
  }

  @Test
  void sClientSeesAlpnH2OrHttp11AndTheConfiguredProtocolsOnly() throws Exception {
    startProxy(TlsConfig.ClientAuth.NONE, List.of("TLSv1.3"), List.of());
    String ok = sClient("-alpn", "h2,http/1.1", "-tls1_3");
    assertThat(ok)
        .contains("ALPN protocol: h2")
        .contains("TLSv1.3")
        .contains("Verify return code: 0 (ok)");
    assertThat(sClient("-alpn", "http/1.1", "-tls1_3")).contains("ALPN protocol: http/1.1");
    String refused = sClient("-tls1_2");
    assertThat(refused).contains("alert protocol version").contains("Cipher is (NONE)");
  }

  @Test
  void plaintextRequestToTheTlsListenerIsClosedWithoutAnHttpAnswer() throws Exception {
    startProxy();
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      byte[] answer = s.getInputStream().readAllBytes(); // returns at EOF; a hang would time out
      assertThat(new String(answer, StandardCharsets.ISO_8859_1)).doesNotContain("HTTP/1.1");
    }
    assertThat(stable.received()).isEmpty();
  }

  @Test
  void clientThatStallsInTheHandshakeIsCutAtRequestHeaderTimeout() throws Exception {
    startProxy();
    // requestHeader is 1s and clientIdle 60s: only the setup timeout can close these in time for
    // the 30 s read timeout.
    try (Socket silent = new Socket("127.0.0.1", proxy.port());
        Socket partial = new Socket("127.0.0.1", proxy.port())) {
      silent.setSoTimeout(30_000);
      partial.setSoTimeout(30_000);
      // The start of a ClientHello record that never completes.
      partial.getOutputStream().write(new byte[] {0x16, 0x03, 0x01, 0x01, 0x00, 0x01});
      assertThat(silent.getInputStream().read()).isEqualTo(-1);
      assertThat(partial.getInputStream().readAllBytes()).isEmpty();
    }
  }

  @Test
  void requiredClientCertificateIsTheUserKey() throws Exception {
    certs.leaf("alice", "alice", "URI:spiffe://test/alice");
    startProxy(
        TlsConfig.ClientAuth.REQUIRE,
        TlsConfig.PROTOCOLS,
        List.of(new UserKeySource(UserKeySource.Kind.CLIENT_CERT, "subject")));
    String[] without = curl(httpsUrl("/"));
    assertThat(without[0]).isNotEqualTo("0");
    String[] with =
        curl(
            "--cert",
            dir.resolve("alice.pem").toString(),
            "--key",
            dir.resolve("alice.key").toString(),
            httpsUrl("/"));
    assertThat(with[0]).as(with[2]).isEqualTo("0");
    // canaryPercent 100: a user key sends the request to the canary; no key would go to stable.
    assertThat(with[1]).isEqualTo("canary\n");
    assertThat(stable.received()).isEmpty();
  }

  @Test
  void optionalClientCertificateSanIsTheUserKeyWhenPresent() throws Exception {
    certs.leaf("bob", "bob", "URI:spiffe://test/bob");
    startProxy(
        TlsConfig.ClientAuth.OPTIONAL,
        TlsConfig.PROTOCOLS,
        List.of(new UserKeySource(UserKeySource.Kind.CLIENT_CERT, "san")));
    String[] anonymous = curl(httpsUrl("/"));
    assertThat(anonymous[0]).as(anonymous[2]).isEqualTo("0");
    assertThat(anonymous[1]).isEqualTo("stable\n");
    String[] bob =
        curl(
            "--cert",
            dir.resolve("bob.pem").toString(),
            "--key",
            dir.resolve("bob.key").toString(),
            httpsUrl("/"));
    assertThat(bob[1]).as(bob[2]).isEqualTo("canary\n");
  }

  @Test
  void rotatedCertificateServesNewHandshakesWhileOpenConnectionsKeepGoing() throws Exception {
    // The Kubernetes Secret layout: server.pem -> ..data/server.pem, ..data -> a timestamped dir.
    Path secret = Files.createDirectory(dir.resolve("secret"));
    Path v1 = Files.createDirectory(secret.resolve("..v1"));
    Files.copy(dir.resolve("server.pem"), v1.resolve("tls.crt"));
    Files.copy(dir.resolve("server.key"), v1.resolve("tls.key"));
    Files.createSymbolicLink(secret.resolve("..data"), v1.getFileName());
    Files.createSymbolicLink(secret.resolve("tls.crt"), Path.of("..data/tls.crt"));
    Files.createSymbolicLink(secret.resolve("tls.key"), Path.of("..data/tls.key"));
    Files.copy(dir.resolve("server.pem"), dir.resolve("server-orig.pem"));
    Files.copy(dir.resolve("server.key"), dir.resolve("server-orig.key"));
    Files.delete(dir.resolve("server.pem"));
    Files.delete(dir.resolve("server.key"));
    Files.createSymbolicLink(dir.resolve("server.pem"), secret.resolve("tls.crt"));
    Files.createSymbolicLink(dir.resolve("server.key"), secret.resolve("tls.key"));
    startProxy();
    assertThat(sClient()).contains("CN = canary proxy test");

    try (SSLSocket open =
        (SSLSocket)
            certs.clientContext().getSocketFactory().createSocket("localhost", proxy.port())) {
      open.setSoTimeout(20_000);
      assertThat(get(open)).isEqualTo("stable");

      certs.leaf("rotated", "rotated", null);
      Path v2 = Files.createDirectory(secret.resolve("..v2"));
      Files.copy(dir.resolve("rotated.pem"), v2.resolve("tls.crt"));
      Files.copy(dir.resolve("rotated.key"), v2.resolve("tls.key"));
      Path tmp = secret.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, v2.getFileName());
      Files.move(tmp, secret.resolve("..data"), StandardCopyOption.ATOMIC_MOVE);

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(sClient()).contains("CN = rotated"));
      assertThat(get(open)).isEqualTo("stable"); // the connection opened before keeps going
      assertThat(open.getSession().getPeerCertificates()[0].toString())
          .contains("canary proxy test");
    }
  }

  /** One GET on a kept-alive TLS socket; returns the body's first line. */
  private static String get(SSLSocket socket) throws Exception {
    OutputStream out = socket.getOutputStream();
    out.write("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(in, StandardCharsets.ISO_8859_1), 1);
    String status = reader.readLine();
    assertThat(status).startsWith("HTTP/1.1 200");
    int length = 0;
    for (String line = reader.readLine(); !line.isEmpty(); line = reader.readLine()) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (int i = 0; i < length; i++) {
      body.write(reader.read());
    }
    return body.toString(StandardCharsets.ISO_8859_1).trim();
  }
}
