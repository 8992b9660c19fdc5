package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.TlsConfig;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestCertificates;
import io.canaryproxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PROXY protocol on the listener, over real sockets: the header's source address is what the
 * override trust and X-Forwarded-For see, and a header where none is configured, or none where one
 * is required, ends the connection.
 */
class ProxyProtocolIT {
  private static final String REQUEST =
      "GET / HTTP/1.1\r\nHost: app\r\nx-canary: canary\r\nConnection: close\r\n\r\n";

  private StubServer stable;
  private StubServer canary;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    stable = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "stable"));
    canary = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "canary"));
  }

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    stable.close();
    canary.close();
  }

  /**
   * The override header is trusted only from 203.0.113.0/24, a range the test never connects from.
   */
  private ProxyConfig config() {
    return TestConfigs.proxy(
        Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
        TestConfigs.routing(0, List.of(), "203.0.113.0/24"),
        TestConfigs.defaultTimeouts(),
        TestConfigs.defaultLimits());
  }

  private void startProxy(boolean proxyProtocol) throws InterruptedException {
    proxy = new RunningProxy(config().withListenerSecurity(null, proxyProtocol));
  }

  @Test
  void v1HeaderSourceIsTrustedForOverrideAndAppendedToForwardedFor() throws Exception {
    startProxy(true);
    try (RawHttp http = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          http.send("PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n" + REQUEST).read(false);
      assertThat(r.bodyText()).isEqualTo("canary");
    }
    assertThat(canary.received().get(0).header("x-forwarded-for")).isEqualTo("203.0.113.7");
  }

  @Test
  void v1HeaderFromAnUntrustedSourceHasTheOverrideStripped() throws Exception {
    startProxy(true);
    try (RawHttp http = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          http.send("PROXY TCP4 198.51.100.9 10.0.0.1 51234 443\r\n" + REQUEST).read(false);
      assertThat(r.bodyText()).isEqualTo("stable");
    }
    assertThat(stable.received().get(0).header("x-canary")).isNull();
    assertThat(stable.received().get(0).header("x-forwarded-for")).isEqualTo("198.51.100.9");
  }

  @Test
  void v2BinaryHeaderIsRead() throws Exception {
    startProxy(true);
    try (RawHttp http = new RawHttp(proxy.port())) {
      OutputStream out = http.output();
      out.write(v2Header(new byte[] {(byte) 203, 0, 113, 42}, 40000));
      RawHttp.Response r = http.send(REQUEST).read(false);
      assertThat(r.bodyText()).isEqualTo("canary");
    }
    assertThat(canary.received().get(0).header("x-forwarded-for")).isEqualTo("203.0.113.42");
  }

  @Test
  void missingHeaderWhereOneIsRequiredClosesTheConnection() throws Exception {
    startProxy(true);
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(30_000);
      s.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
      assertThat(s.getInputStream().readAllBytes()).isEmpty();
    }
    assertThat(stable.received()).isEmpty();
    assertThat(canary.received()).isEmpty();
  }

  @Test
  void headerOnAListenerNotConfiguredForItIsABadRequest() throws Exception {
    startProxy(false);
    for (byte[] header :
        List.of(
            "PROXY TCP4 203.0.113.7 10.0.0.1 51234 443\r\n".getBytes(StandardCharsets.US_ASCII),
            v2Header(new byte[] {(byte) 203, 0, 113, 42}, 40000))) {
      try (Socket s = new Socket("127.0.0.1", proxy.port())) {
        s.setSoTimeout(30_000);
        s.getOutputStream().write(header);
        s.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(answer).startsWith("HTTP/1.1 400");
      }
    }
    assertThat(stable.received()).isEmpty();
    assertThat(canary.received()).isEmpty();
  }

  @Test
  void headerBeforeTlsGivesTheClientAddressOfATlsConnection(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.create(dir);
    Path[] leaf = certs.leaf("server", "proxy protocol test", null);
    proxy =
        new RunningProxy(
            config()
                .withListenerSecurity(
                    new TlsConfig(
                        leaf[0],
                        leaf[1],
                        null,
                        TlsConfig.ClientAuth.NONE,
                        TlsConfig.PROTOCOLS,
                        List.of()),
                    true));
    try (Socket plain = new Socket("127.0.0.1", proxy.port())) {
      plain
          .getOutputStream()
          .write(
              "PROXY TCP4 203.0.113.8 10.0.0.1 51234 443\r\n".getBytes(StandardCharsets.US_ASCII));
      try (SSLSocket tls =
          (SSLSocket)
              certs
                  .clientContext()
                  .getSocketFactory()
                  .createSocket(plain, "localhost", proxy.port(), true)) {
        tls.setSoTimeout(30_000);
        tls.getOutputStream().write(REQUEST.getBytes(StandardCharsets.US_ASCII));
        String answer =
            new String(tls.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        assertThat(answer).startsWith("HTTP/1.1 200").endsWith("canary");
      }
    }
    assertThat(canary.received().get(0).header("x-forwarded-for")).isEqualTo("203.0.113.8");
    assertThat(canary.received().get(0).header("x-forwarded-proto")).isEqualTo("https");
  }

  /** A PROXY v2 header, PROXY command, TCP over IPv4 (haproxy's proxy-protocol.txt §2.2). */
  private static byte[] v2Header(byte[] source, int sourcePort) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(
        new byte[] {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A});
    out.write(0x21); // version 2, PROXY
    out.write(0x11); // AF_INET, STREAM
    ByteBuffer body = ByteBuffer.allocate(12);
    body.put(source)
        .put(new byte[] {10, 0, 0, 1})
        .putShort((short) sourcePort)
        .putShort((short) 443);
    out.write(0);
    out.write(12);
    out.writeBytes(body.array());
    return out.toByteArray();
  }
}
