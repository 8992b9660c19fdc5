package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.TlsConfig;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.canaryproxy.testing.TestConfigs;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client that is still sending when the proxy answers with an error and closes gets that answer,
 * not a connection reset: the proxy half-closes and discards what still arrives before it closes
 * (nginx's lingering close). Without it, the unread bytes make the kernel reset the connection, and
 * the reset destroys the answer in the client's receive buffer.
 */
class LingeringCloseIT {
  /** Rejected by its head (two Host fields), followed by more bytes than one read takes. */
  private static final byte[] REJECTED_HEAD =
      "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private static final int TRAILING_BYTES = 256 * 1024;

  private StubServer backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws InterruptedException {
    backend = StubServer.named("stable");
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    backend.close();
  }

  private ProxyConfig config(LimitsConfig limits) {
    return TestConfigs.proxy(
        Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
        TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
        TestConfigs.defaultTimeouts(),
        limits);
  }

  /** Writes {@code head} then {@code trailing} junk bytes from another thread, ignoring a reset. */
  private static CompletableFuture<Void> send(OutputStream out, byte[] head, int trailing) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            byte[] junk = new byte[trailing];
            Arrays.fill(junk, (byte) 'x');
            byte[] all = Arrays.copyOf(head, head.length + junk.length);
            System.arraycopy(junk, 0, all, head.length, junk.length);
            out.write(all);
            out.flush();
          } catch (IOException ignored) {
            // the proxy may close before everything was sent: what the client reads is the test
          }
        });
  }

  @Test
  void rejectedRequestFollowedByMoreBytesGetsItsAnswerAndAnEndOfStream() throws Exception {
    proxy = new RunningProxy(config(TestConfigs.defaultLimits()));
    for (int i = 0; i < 5; i++) {
      try (Socket s = new Socket("127.0.0.1", proxy.port())) {
        s.setSoTimeout(30_000);
        CompletableFuture<Void> sent = send(s.getOutputStream(), REJECTED_HEAD, TRAILING_BYTES);
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(answer).startsWith("HTTP/1.1 400").contains("connection: close");
        sent.join();
      }
      // Once the client has closed its side, the proxy closes the connection too.
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openClientConnections() == 0);
    }
    assertThat(backend.received()).isEmpty();
  }

  @Test
  void uploadOverTheBodyLimitGets413RatherThanAReset() throws Exception {
    proxy = new RunningProxy(config(new LimitsConfig(8 * 1024, 16 * 1024, 100, 32 * 1024)));
    byte[] head =
        ("POST /upload HTTP/1.1\r\nHost: a\r\nContent-Length: " + (1024 * 1024) + "\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(30_000);
      CompletableFuture<Void> sent = send(s.getOutputStream(), head, 1024 * 1024);
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 413");
      sent.join();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openClientConnections() == 0);
    assertThat(backend.received()).isEmpty();
  }

  @Test
  void proxyClosesALingeringConnectionThatTheClientNeverCloses() throws Exception {
    proxy = new RunningProxy(config(TestConfigs.defaultLimits()));
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(REJECTED_HEAD);
      String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 400");
      // The client keeps its side open and keeps writing: the proxy discards that and, in the
      // end, closes; then a write fails.
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(200))
          .until(
              () -> {
                try {
                  s.getOutputStream().write('x');
                  s.getOutputStream().flush();
                  return false;
                } catch (IOException closed) {
                  return true;
                }
              });
    }
  }

  @Test
  void rejectedRequestOverTlsGetsItsAnswerAndACloseNotify(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    Path[] leaf = certs.leaf("server", "lingering close test", null);
    proxy =
        new RunningProxy(
            config(TestConfigs.defaultLimits())
                .withListenerSecurity(
                    new TlsConfig(
                        leaf[0],
                        leaf[1],
                        null,
                        TlsConfig.ClientAuth.NONE,
                        TlsConfig.PROTOCOLS,
                        List.of()),
                    false));
    try (SSLSocket tls =
        (SSLSocket)
            certs.clientContext().getSocketFactory().createSocket("127.0.0.1", proxy.port())) {
      tls.setSoTimeout(30_000);
      tls.startHandshake();
      CompletableFuture<Void> sent = send(tls.getOutputStream(), REJECTED_HEAD, TRAILING_BYTES);
      // readAllBytes ends normally only on the proxy's close_notify: a bare FIN or a reset throws.
      String answer = new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 400");
      sent.join();
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openClientConnections() == 0);
    assertThat(backend.received()).isEmpty();
  }
}
