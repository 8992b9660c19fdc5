package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

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
 * {@code timeouts.clientIdle} over real sockets: a keep-alive connection with nothing to do is
 * closed once it has been idle that long; one whose exchange waits for a slow backend is not.
 */
class ClientIdleIT {
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

  private void start(StubServer.Behavior behavior) throws InterruptedException {
    stable = StubServer.start(behavior);
    canary = StubServer.named("canary");
    TimeoutsConfig d = TestConfigs.defaultTimeouts();
    proxy =
        new RunningProxy(
            TestConfigs.proxy(
                Map.of("stable", stable.endpoint(), "canary", canary.endpoint()),
                TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
                new TimeoutsConfig(
                    d.connect(), d.response(), IDLE, d.requestHeader(), d.backendIdle()),
                TestConfigs.defaultLimits()));
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterClientIdle() throws Exception {
    start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok"));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      assertThat(raw.send("GET /a HTTP/1.1\r\nHost: a\r\n\r\n").read().status()).isEqualTo(200);
      long answered = System.nanoTime();
      // The proxy ends the connection (end of stream), within the socket's 10 s read timeout.
      assertThat(raw.input().read()).isEqualTo(-1);
      assertThat(System.nanoTime() - answered).isGreaterThanOrEqualTo(IDLE.toNanos() / 2);
    }
  }

  @Test
  void aConnectionWaitingForASlowBackendIsNotClosedByClientIdle() throws Exception {
    start(
        StubServer.delayed(
            2_500, (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "slow")));
    try (RawHttp raw = new RawHttp(proxy.port())) {
      RawHttp.Response r = raw.send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n").read();
      assertThat(r.status()).isEqualTo(200);
      assertThat(r.bodyText()).isEqualTo("slow");
    }
  }
}
