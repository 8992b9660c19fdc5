package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code timeouts.backendIdle} over real sockets: a pooled backend connection left unused that long
 * is closed by the proxy (the backend sees it end), and the next request opens a new one.
 */
class BackendIdleIT {
  private static final Duration IDLE = Duration.ofSeconds(1);

  private StubServer stable;
  private StubServer canary;
  private RunningProxy proxy;

  @AfterEach
  void tearDown() {
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

  @Test
  void anIdlePooledBackendConnectionIsClosedAfterBackendIdle() throws Exception {
    stable = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok"));
    canary = StubServer.named("canary");
    TimeoutsConfig d = TestConfigs.defaultTimeouts();
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                new TimeoutsConfig(
                    d.connect(), d.response(), d.clientIdle(), d.requestHeader(), IDLE),
                TestConfigs.defaultLimits()));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(raw.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
      long answered = System.nanoTime();
      assertThat(stable.connections()).isEqualTo(1);
      // The client connection stays open (clientIdle is 60 s); the pooled one to the backend ends.
      await().atMost(Duration.ofSeconds(10)).until(() -> stable.openConnections() == 0);
      assertThat(System.nanoTime() - answered).isGreaterThanOrEqualTo(IDLE.toNanos() / 2);
      assertThat(raw.send("GET /b HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
      assertThat(stable.connections()).isEqualTo(2);
    }
  }
}
