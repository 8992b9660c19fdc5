package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Invalid HTTP gets a 4xx (or 505), the connection is closed, and the backend receives not one
 * byte.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MalformedRequestIT {
  private StubServer backend;
  private RunningProxy proxy;

  @BeforeAll
  void start() throws InterruptedException {
    backend = StubServer.named("stable");
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                TestConfigs.defaultTimeouts(),
                TestConfigs.defaultLimits()));
  }

  @AfterAll
  void stop() {
    proxy.close();
    backend.close();
  }

  static Stream<Arguments> malformed() {
    String many = "X-H: v\r\n".repeat(101);
    return Stream.of(
        Arguments.of(
            "Content-Length with Transfer-Encoding",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "duplicate Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc",
            400),
        Arguments.of(
            "differing Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3, 4\r\n\r\nabc",
            400),
        Arguments.of(
            "invalid Content-Length",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3x\r\n\r\nabc",
            400),
        Arguments.of(
            "last coding not chunked",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
            400),
        Arguments.of(
            "coding without chunked",
            "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\nabc",
            400),
        Arguments.of("obs-fold", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n", 400),
        Arguments.of(
            "obs-fold with tab", "GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n", 400),
        Arguments.of(
            "whitespace before colon", "GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n", 400),
        Arguments.of("missing Host", "GET / HTTP/1.1\r\nX-A: b\r\n\r\n", 400),
        Arguments.of("duplicate Host", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        Arguments.of("bare LF line ends", "GET / HTTP/1.1\nHost: a\n\n", 400),
        Arguments.of(
            "control character in a value",
            "GET / HTTP/1.1\r\nHost: a\r\nX-A: a\u0001b\r\n\r\n",
            400),
        Arguments.of("garbage", "\u0016\u0003\u0001\u0000\u00a5hello\r\n\r\n", 400),
        Arguments.of("unsupported version", "GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505),
        Arguments.of(
            "request line too long",
            "GET /" + "a".repeat(9000) + " HTTP/1.1\r\nHost: a\r\n\r\n",
            414),
        Arguments.of(
            "header section too large",
            "GET / HTTP/1.1\r\nHost: a\r\nX-Big: " + "b".repeat(17000) + "\r\n\r\n",
            431),
        Arguments.of(
            "too many header fields", "GET / HTTP/1.1\r\nHost: a\r\n" + many + "\r\n", 431),
        Arguments.of(
            "declared body over the limit",
            "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 104857601\r\n\r\n",
            413),
        Arguments.of(
            "unknown expectation", "GET / HTTP/1.1\r\nHost: a\r\nExpect: magic\r\n\r\n", 417));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("malformed")
  void isAnsweredWithAnErrorAndClosedWithNothingForwarded(String name, String raw, int status)
      throws Exception {
    long before = backend.bytesReceived();
    int connectionsBefore = backend.connections();
    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response response = client.send(raw).read();
      assertThat(response.status()).isEqualTo(status);
      assertThat(response.header("connection")).isEqualTo("close");
      assertThat(client.closedByPeer()).as("connection closed").isTrue();
    }
    assertThat(backend.bytesReceived()).as("bytes reaching the backend").isEqualTo(before);
    assertThat(backend.connections()).isEqualTo(connectionsBefore);
  }
}
