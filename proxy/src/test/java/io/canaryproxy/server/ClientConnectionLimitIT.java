package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code limits.maxClientConnections} over real sockets: past the limit a new client connection is
 * closed as soon as it is accepted and counted in {@code
 * canary_proxy_client_connections_rejected_total}, the open ones go on being served, and a freed
 * place is taken by the next client.
 */
class ClientConnectionLimitIT {
  private static final String GET = "GET /item HTTP/1.1\r\nHost: app\r\n\r\n";
  private static final int LIMIT = 3;

  private final HttpClient admin = HttpClient.newHttpClient();
  private final List<RawHttp> clients = new ArrayList<>();
  private StubServer backend;
  private CanaryProxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok"));
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
                    routing: { canaryPercent: 0 }
                    limits: { maxClientConnections: %d }
                    """
                        .formatted(backend.endpoint(), backend.endpoint(), LIMIT)))
            .start();
  }

  @AfterEach
  void stop() throws Exception {
    for (RawHttp c : clients) {
      c.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    backend.close();
  }

  private RawHttp served() throws Exception {
    RawHttp c = new RawHttp(proxy.proxyPort());
    clients.add(c);
    assertThat(c.send(GET).read().status()).isEqualTo(200);
    return c;
  }

  @Test
  void connectionPastTheLimitIsClosedAtOnceAndCountedWhileTheOthersAreServed() throws Exception {
    for (int i = 0; i < LIMIT; i++) {
      served();
    }
    assertThat(rejected()).isZero();

    try (RawHttp extra = new RawHttp(proxy.proxyPort())) {
      // the proxy closes without reading or answering: end of stream, not a response
      assertThat(extra.closedByPeer()).isTrue();
    }
    assertThat(rejected()).isEqualTo(1);
    assertThat(backend.received()).hasSize(LIMIT);

    for (RawHttp c : clients) {
      assertThat(c.send(GET).read().status()).isEqualTo(200);
    }
    assertThat(backend.received()).hasSize(2 * LIMIT);
  }

  @Test
  void aClosedConnectionFreesItsPlace() throws Exception {
    for (int i = 0; i < LIMIT; i++) {
      served();
    }
    clients.remove(0).close();

    // the place is freed when the proxy has seen the close, which the client cannot observe
    // directly: retry until a new connection is served
    await()
        .atMost(Duration.ofSeconds(20))
        .ignoreExceptions()
        .untilAsserted(
            () -> {
              try (RawHttp c = new RawHttp(proxy.proxyPort())) {
                assertThat(c.send(GET).read().status()).isEqualTo(200);
              }
            });
  }

  private double rejected() throws Exception {
    String metrics =
        admin
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.adminPort() + "/metrics"))
                    .build(),
                BodyHandlers.ofString())
            .body();
    return metrics
        .lines()
        .filter(l -> l.startsWith("canary_proxy_client_connections_rejected_total "))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.indexOf(' ') + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no rejected counter in\n" + metrics));
  }
}
