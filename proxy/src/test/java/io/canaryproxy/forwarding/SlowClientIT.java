package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow clients and the proxy's timers: slow uploaders hold no backend connection (T1), a body that
 * stalls gets 408 (T2), and a valid pipelined request that waits while the proxy is not reading is
 * not taken for a slow one (T3).
 */
class SlowClientIT {
  private RawBackend backend;
  private RunningProxy proxy;
  private final List<RawHttp> clients = new ArrayList<>();

  @AfterEach
  void stop() throws IOException {
    for (RawHttp c : clients) {
      c.close();
    }
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(RawBackend.Script script, int maxConnections, String yaml) throws Exception {
    backend = new RawBackend(script);
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), maxConnections, yaml));
  }

  private RawHttp client() throws IOException {
    RawHttp c = new RawHttp(proxy.port());
    clients.add(c);
    return c;
  }

  @Test
  void t1SlowUploadersDoNotStarveOtherUsers() throws Exception {
    start((conn, index, request) -> Reply.ok(request.target()), 2, "");
    List<RawHttp> slow = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      slow.add(
          client().send("POST /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nx"));
    }
    int ok = 0;
    for (int i = 0; i < 100; i++) {
      // One more byte from one slow uploader between two other users' requests.
      slow.get(i % slow.size()).send("y");
      try (RawHttp user = new RawHttp(proxy.port())) {
        RawHttp.Response r = user.send("GET /get/" + i + " HTTP/1.1\r\nHost: x\r\n\r\n").read();
        if (r.status() == 200 && r.bodyText().equals("/get/" + i)) {
          ok++;
        }
      }
    }
    assertThat(ok)
        .as("GETs answered by the backend while 20 uploads trickle")
        .isGreaterThanOrEqualTo(99);
  }

  @Test
  void t2ABodyThatStallsGets408AndTheConnectionIsClosed() throws Exception {
    start(
        (conn, index, request) -> Reply.ok(request.target()), 2, "timeouts:\n  requestBody: 300ms");
    RawHttp c = client();
    c.send("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    // Blocking read (socket timeout 10 s): the 408 comes from timeouts.requestBody.
    RawHttp.Response r = c.read();
    assertThat(r.status()).isEqualTo(408);
    assertThat(r.header("connection")).isEqualTo("close");
    assertThat(c.closedByPeer()).isTrue();
    assertThat(backend.bytesReceived()).as("bytes of a buffered body sent to the backend").isZero();
  }

  @Test
  void t2AStreamedBodyThatStallsGets408AndItsBackendConnectionIsClosed() throws Exception {
    start(
        (conn, index, request) -> Reply.ok(request.target()),
        2,
        "timeouts:\n  requestBody: 300ms\nlimits:\n  requestBufferBytes: 0");
    RawHttp c = client();
    c.send("POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc");
    RawHttp.Response r = c.read();
    assertThat(r.status()).isEqualTo(408);
    assertThat(c.closedByPeer()).isTrue();
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(backend.conns()).allSatisfy(conn -> assertThat(conn.closed()).isTrue()));
    for (RawBackend.Conn conn : backend.conns()) {
      assertThat(StrictRequestParser.parsePrefix(conn.bytes()).requests()).isEmpty();
    }
  }

  private static final String ONE = "GET /one HTTP/1.1\r\nHost: x\r\n\r\n";
  private static final String TWO = "GET /two HTTP/1.1\r\nHost: x\r\nx-user-id: u-2\r\n\r\n";

  /** The backend takes 1.5 s for /one, three times timeouts.requestHeader. */
  private void startSlowFirstAnswer() throws Exception {
    start(
        (conn, index, request) ->
            request.target().equals("/one")
                ? Reply.ok("/one").after(Duration.ofMillis(1500))
                : Reply.ok(request.target()),
        2,
        "timeouts:\n  requestHeader: 500ms");
  }

  @Test
  void t3APipelinedRequestWaitingForTheProxyIsNotTimedOut() throws Exception {
    startSlowFirstAnswer();
    RawHttp c = client().send(ONE + TWO);
    assertAnsweredInOrder(c);
  }

  @Test
  void t3APipelinedHeadSplitAcrossWritesIsNotTimedOut() throws Exception {
    startSlowFirstAnswer();
    int half = TWO.length() / 2;
    RawHttp c = client().send(ONE + TWO.substring(0, half));
    // The proxy has read the first write once /one reached the backend.
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                !backend.conns().isEmpty()
                    && StrictRequestParser.parsePrefix(backend.conns().get(0).bytes())
                            .requests()
                            .size()
                        == 1);
    c.send(TWO.substring(half));
    assertAnsweredInOrder(c);
  }

  private static void assertAnsweredInOrder(RawHttp c) throws IOException {
    RawHttp.Response one = c.read();
    assertThat(one.status() + " " + one.bodyText()).isEqualTo("200 /one");
    RawHttp.Response two = c.read();
    assertThat(two.status() + " " + two.bodyText()).isEqualTo("200 /two");
  }
}
