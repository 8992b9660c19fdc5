package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The exchange state machine ({@link Forwarder}) behind the real HTTP/1 adapter, driven by hand
 * through EmbeddedChannels on one thread ({@link ExchangeHarness}): the loopback ITs cover the same
 * paths over sockets, these pin each transition down.
 */
class ForwarderTest {
  private static final String GET = "GET /a?q=1 HTTP/1.1\r\nHost: shop\r\n\r\n";
  private static final String OK = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";

  @Test
  void happyPathForwardsTheRequestAndAnswersTheClient() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      String sent = h.backendReceived(0);
      assertThat(sent)
          .startsWith("GET /a?q=1 HTTP/1.1\r\n")
          .contains("x-forwarded-proto: http\r\n");
      assertThat(h.clientReceived()).isEmpty();

      h.backendSends(0, OK);

      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhi");
      assertThat(h.completed).singleElement().satisfies(e -> assertThat(e.status).isEqualTo(200));
      assertThat(h.completed.get(0).path()).isEqualTo("/a");
      assertThat(h.client.isOpen()).isTrue();
    }
  }

  @Test
  void theNextRequestOnAKeepAliveConnectionIsForwardedAsItWasSentNotAsTheOneBefore()
      throws Exception {
    // The second head is read into the first one's object (one head a connection): nothing of the
    // first request, its fields or the proxy's edits, may reach the backend with the second.
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(
          "POST /first?long=query-string HTTP/1.1\r\nHost: first.example\r\nX-A: one\r\n"
              + "Connection: x-b\r\nX-B: hop\r\nX-Forwarded-For: 10.0.0.1\r\n"
              + "Content-Length: 2\r\n\r\nab");
      assertThat(h.backendReceived(0)).startsWith("POST /first?long=query-string HTTP/1.1\r\n");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n");

      h.clientSends("GET /2 HTTP/1.1\r\nHost: b\r\n\r\n");
      assertThat(h.backendReceived(0))
          .isEqualTo(
              "GET /2 HTTP/1.1\r\nHost: b\r\nx-forwarded-for: unknown\r\n"
                  + "x-forwarded-proto: http\r\nx-forwarded-host: b\r\n\r\n");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(h.completed).hasSize(2);
      // The connection's one exchange object carries nothing of the first into the second.
      assertThat(h.completed).extracting(e -> e.path()).containsExactly("/first", "/2");
      assertThat(h.completed).extracting(e -> e.bytesIn).containsExactly(2L, 0L);
      assertThat(h.completed).extracting(e -> e.bytesOut).containsExactly(2L, 2L);
    }
  }

  @Test
  void aConnectionOpenedForAnExchangeThatEndedIsNotTakenForTheNextRequest() throws Exception {
    // The next request reuses the ended exchange's object: the late connection must be told apart
    // from one opened for it, pooled, and never sent the next request's head (a gRPC deadline that
    // passes while connecting ends an exchange and keeps the client connection open).
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.client.freezeTime();
      h.holdNextConnect();
      h.clientSends(
          "POST /pkg.Svc/Call HTTP/1.1\r\nHost: g\r\ncontent-type: application/grpc\r\n"
              + "grpc-timeout: 100m\r\nContent-Length: 0\r\n\r\n");
      h.client.advanceTimeBy(200, TimeUnit.MILLISECONDS);
      h.client.runScheduledPendingTasks();
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").contains("grpc-status: 4");
      assertThat(h.client.isOpen()).isTrue();

      h.clientSends("GET /b HTTP/1.1\r\nHost: shop\r\n\r\n");
      assertThat(h.backends).hasSize(2);
      assertThat(h.backendReceived(1)).startsWith("GET /b ");
      h.completeConnect(); // the first exchange's connection, too late: pooled
      h.backendSends(1, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("hi");

      h.clientSends("GET /c HTTP/1.1\r\nHost: shop\r\n\r\n");
      // The connection that served /b went back to the pool last, and takes /c.
      assertThat(h.backendReceived(1)).startsWith("GET /c ");
      h.backendSends(1, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(h.backendReceived(0)).isEmpty();
      assertThat(h.completed)
          .extracting(e -> e.path())
          .containsExactly("/pkg.Svc/Call", "/b", "/c");
    }
  }

  @Test
  void pipelinedRequestsAreForwardedOneAtATimeAndAnsweredInOrder() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET + "GET /b HTTP/1.1\r\nHost: shop\r\n\r\n");
      assertThat(h.backendReceived(0)).startsWith("GET /a?q=1 ").doesNotContain("GET /b");
      assertThat(h.client.config().isAutoRead()).isFalse(); // a request waits: stop reading

      h.backendSends(0, OK);
      // The connection went back to the pool and carries the second request.
      assertThat(h.backends).hasSize(1);
      assertThat(h.backendReceived(0)).startsWith("GET /b ");
      h.backendSends(0, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");

      String answers = h.clientReceived();
      assertThat(answers.indexOf("200 OK")).isLessThan(answers.indexOf("404 Not Found"));
      assertThat(h.completed).extracting(e -> e.status).containsExactly(200, 404);
      assertThat(h.client.config().isAutoRead()).isTrue();
    }
  }

  @Test
  void aReusedConnectionThatDiesBeforeAnsweringIsRetriedOnceOnANewOne() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      h.backendReceived(0);
      h.backendSends(0, OK);
      h.clientReceived();

      h.clientSends(GET); // leases the pooled connection
      assertThat(h.backendReceived(0)).startsWith("GET /a");
      h.backends.get(0).close(); // the backend had closed it meanwhile
      h.client.runPendingTasks();

      assertThat(h.backends).hasSize(2);
      assertThat(h.backendReceived(1)).startsWith("GET /a");
      h.backendSends(1, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(h.failures).isEmpty();
    }
  }

  static Stream<Arguments> connectFailures() {
    return Stream.of(
        Arguments.of(new ConnectException("Connection refused"), 502, "connect_failed"),
        Arguments.of(new ConnectTimeoutException("timed out"), 504, "connect_timeout"));
  }

  @ParameterizedTest
  @MethodSource("connectFailures")
  void aFailedConnectIsAnsweredWithItsTypedStatus(Throwable cause, int status, String tag)
      throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.failNextConnect(cause);
      h.clientSends(GET);
      String answer = h.clientReceived();
      assertThat(answer)
          .startsWith("HTTP/1.1 " + status + " ")
          .contains("x-canary-proxy-error: " + tag);
      assertThat(h.failures).extracting(UpstreamFailure::tag).containsExactly(tag);
      assertThat(h.client.isOpen()).isTrue(); // a bodiless request: the connection is kept
    }
  }

  @Test
  void aBackendThatClosesBeforeAnsweringAFreshConnectionGets502() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      h.backends.get(0).pipeline().fireExceptionCaught(new IOException("Connection reset"));
      h.client.runPendingTasks();
      assertThat(h.clientReceived())
          .startsWith("HTTP/1.1 502 ")
          .contains("x-canary-proxy-error: connection_closed");
      assertThat(h.backends).hasSize(1); // a fresh connection is not retried
    }
  }

  @Test
  void anInvalidResponseGets502() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      h.backendSends(0, "HTTP/1.1 999 Nope\r\n\r\n");
      assertThat(h.clientReceived())
          .startsWith("HTTP/1.1 502 ")
          .contains("x-canary-proxy-error: bad_response");
      assertThat(h.backends.get(0).isOpen()).isFalse();
    }
  }

  @Test
  void aBackendSilentForTheResponseTimeoutGets504() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("timeouts: { response: 20ms }")) {
      h.clientSends(GET);
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                h.client.runPendingTasks();
                return !h.failures.isEmpty();
              });
      assertThat(h.clientReceived())
          .startsWith("HTTP/1.1 504 ")
          .contains("x-canary-proxy-error: response_timeout");
      assertThat(h.backends.get(0).isOpen()).isFalse();
    }
  }

  @Test
  void aFailureAfterTheResponseStartedCutsTheClientOff() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      h.backendSends(0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
      h.backends.get(0).close();
      h.client.runPendingTasks();
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("half");
      assertThat(h.client.isOpen()).isFalse(); // never a truncated body presented as complete
      assertThat(h.failures).extracting(UpstreamFailure::tag).containsExactly("connection_closed");
    }
  }

  @Test
  void aClientGoneMidResponseClosesTheBackendConnectionAndEndsTheExchange() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      h.backendSends(0, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhalf");
      h.client.close();
      h.client.runPendingTasks();
      EmbeddedChannel backend = h.backends.get(0);
      assertThat(backend.isOpen()).isFalse(); // a half-read response cannot be reused
      assertThat(h.completed).hasSize(1);
    }
  }

  @Test
  void theClientIsNotReadWhileTheBackendCannotTakeTheBody() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("limits: { requestBufferBytes: 0 }")) {
      h.clientSends("POST /up HTTP/1.1\r\nHost: shop\r\nContent-Length: 10\r\n\r\n01234");
      EmbeddedChannel backend = h.backends.get(0);
      assertThat(h.client.config().isAutoRead()).isTrue();

      ExchangeHarness.setWritable(backend, false);
      assertThat(h.client.config().isAutoRead()).isFalse();
      h.clientSends("56789"); // what was already read still goes on
      ExchangeHarness.setWritable(backend, true);
      assertThat(h.client.config().isAutoRead()).isTrue();

      assertThat(h.backendReceived(0)).endsWith("\r\n\r\n0123456789");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK");
    }
  }

  @Test
  void theBackendIsNotReadWhileTheClientCannotTakeTheResponse() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("")) {
      h.clientSends(GET);
      EmbeddedChannel backend = h.backends.get(0);
      h.backendSends(0, "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab");
      assertThat(backend.config().isAutoRead()).isTrue();

      ExchangeHarness.setWritable(h.client, false);
      assertThat(backend.config().isAutoRead()).isFalse();
      ExchangeHarness.setWritable(h.client, true);
      assertThat(backend.config().isAutoRead()).isTrue();

      h.backendSends(0, "cd");
      assertThat(h.clientReceived()).endsWith("\r\n\r\nabcd");
    }
  }

  @Test
  void aBodyArrivingWhileConnectingFollowsTheBufferedPartInOrder() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("limits: { requestBufferBytes: 16 }")) {
      h.holdNextConnect();
      h.clientSends(
          "POST /up HTTP/1.1\r\nHost: shop\r\nTransfer-Encoding: chunked\r\n\r\n"
              + "14\r\n01234567890123456789\r\n");
      h.clientSends("5\r\nabcde\r\n");
      h.clientSends("0\r\n\r\n");
      h.completeConnect();
      String sent = h.backendReceived(0);
      assertThat(sent).startsWith("POST /up HTTP/1.1\r\n").contains("transfer-encoding: chunked");
      assertThat(sent).endsWith("\r\n\r\n14\r\n01234567890123456789\r\n5\r\nabcde\r\n0\r\n\r\n");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\nhi");
    }
  }

  @Test
  void aBackendTurningUnwritableMidBodyDoesNotReenterItsEncoder() throws Exception {
    try (ExchangeHarness h = new ExchangeHarness("limits: { requestBufferBytes: 0 }")) {
      h.holdNextConnect();
      h.clientSends("PUT /up HTTP/1.1\r\nHost: shop\r\nContent-Length: 6\r\n\r\nab");
      h.clientSends("cd");
      h.clientSends("ef"); // both wait for the connection
      EmbeddedChannel backend = h.backends.get(0);
      // The first write makes it unwritable, from inside its encoder.
      backend.config().setWriteBufferWaterMark(new WriteBufferWaterMark(0, 1));
      h.completeConnect();
      assertThat(h.backendReceived(0)).endsWith("\r\n\r\nabcdef");
      h.backendSends(0, OK);
      assertThat(h.clientReceived()).startsWith("HTTP/1.1 200 OK");
    }
  }
}
