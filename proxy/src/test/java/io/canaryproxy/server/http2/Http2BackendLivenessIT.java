package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * HTTP/2 backends ({@code protocol: h2c}, raw frames on real sockets) that stop answering: one that
 * never sends its SETTINGS fails each request as {@code connect_timeout} within {@code
 * timeouts.connect}, and its connection is closed, never reused; one that stops answering
 * altogether after its SETTINGS loses its connection once a stream timed out and the proxy's PING
 * went unanswered; one that is only slow on a stream keeps its connection.
 */
class Http2BackendLivenessIT {
  private final H2BackendHarness h = new H2BackendHarness();

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private void assertFailures(String... types) {
    await().untilAsserted(() -> assertThat(h.proxy().upstreamFailures()).containsExactly(types));
  }

  @Test
  void aBackendThatNeverSendsSettingsIsAConnectTimeoutAndItsConnectionIsNotReused()
      throws Exception {
    RawH2Backend b = h.backendWith(n -> RawH2Backend.Conn::drainUntilClosed);
    h.startProxy(b, "timeouts: { connect: 300ms, response: 20s }");
    for (int i = 1; i <= 2; i++) {
      assertThat(h.get("/silent" + i))
          .startsWith("HTTP/1.1 504 ")
          .containsIgnoringCase("x-canary-proxy-error: connect_timeout\r\n");
      RawH2Backend.Conn c = b.conn(i);
      assertThat(c.closedByProxy.await(10, TimeUnit.SECONDS)).isTrue();
    }
    // each request tried a connection of its own: the silent one was closed, not reused
    assertThat(b.connections.get()).isEqualTo(2);
    assertFailures("connect_timeout", "connect_timeout");
  }

  @Test
  void aBackendThatStopsAnsweringAltogetherLosesItsConnectionAfterAResponseTimeout()
      throws Exception {
    // SETTINGS, then silence: no answer, no PING acknowledgement
    RawH2Backend b =
        h.backendWith(
            n ->
                c -> {
                  c.settings();
                  c.drainUntilClosed();
                });
    h.startProxy(b, "timeouts: { connect: 300ms, response: 500ms }");
    for (int i = 1; i <= 2; i++) {
      assertThat(h.get("/dead" + i))
          .startsWith("HTTP/1.1 504 ")
          .containsIgnoringCase("x-canary-proxy-error: response_timeout\r\n");
      // the PING sent when the stream was given up went unanswered: the connection is closed
      assertThat(b.conn(i).closedByProxy.await(10, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(b.connections.get()).isEqualTo(2);
  }

  @Test
  void aBackendSlowOnOneStreamButAnsweringPingKeepsItsConnection() throws Exception {
    // SETTINGS, PINGs acknowledged, requests never answered
    RawH2Backend b =
        h.backendWith(
            n ->
                c -> {
                  c.settings();
                  while (c.awaitRequest() != null) {
                    // held
                  }
                });
    h.startProxy(b, "timeouts: { connect: 300ms, response: 500ms }");
    for (int i = 1; i <= 2; i++) {
      assertThat(h.get("/slow" + i))
          .startsWith("HTTP/1.1 504 ")
          .containsIgnoringCase("x-canary-proxy-error: response_timeout\r\n");
    }
    assertThat(b.connections.get()).isEqualTo(1);
    assertThat(b.conn(1).closedByProxy.getCount()).isEqualTo(1);
  }
}
