package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.FullBacklogListener;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A backend whose TCP connect never completes (a {@link FullBacklogListener}: SYNs dropped, as by a
 * host that is down or a firewall), over each backend protocol: the client gets {@code 504} {@code
 * connect_timeout} (a gRPC client UNAVAILABLE, as the README's failure table and gRPC section say)
 * once {@code timeouts.connect} passed, not at once and not after {@code timeouts.response}; and
 * once the backend answers again, the next request is served by it through the same pool ({@code
 * maxConnections: 1}: a connection attempt that timed out must not keep its place).
 */
class BackendConnectTimeoutIT {
  private static final long CONNECT_MILLIS = 400;

  private final List<AutoCloseable> open = new ArrayList<>();
  private FullBacklogListener backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : open) {
      c.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void startProxy(String protocol) throws Exception {
    backend = new FullBacklogListener();
    String b =
        "{ endpoints: [\""
            + backend.endpoint()
            + "\"], protocol: "
            + protocol
            + ", maxConnections: 1 }";
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: " + b,
            "  canary: " + b,
            "routing:",
            "  canaryPercent: 0",
            "  salt: \"connect-salt\"",
            // the response timeout is far longer: a 504 before it is the connect timeout's
            "timeouts: { connect: " + CONNECT_MILLIS + "ms, response: 60s }",
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));
  }

  private RawHttp.Response get(String path) throws Exception {
    try (RawHttp http = new RawHttp(proxy.port())) {
      http.send("GET " + path + " HTTP/1.1\r\nHost: app.test\r\n\r\n");
      return http.read();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"http1", "h2c"})
  void aConnectThatGetsNoAnswerIsAConnectTimeoutAndThePoolRecoversWhenTheBackendAnswers(
      String protocol) throws Exception {
    startProxy(protocol);

    for (int i = 1; i <= 2; i++) {
      long start = System.nanoTime();
      RawHttp.Response r = get("/down" + i);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

      assertThat(r.status()).isEqualTo(504);
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("connect_timeout");
      // it waited for the connect timeout: the connection was neither refused nor failed at once
      assertThat(tookMillis).isGreaterThanOrEqualTo(CONNECT_MILLIS);
    }
    await()
        .untilAsserted(
            () ->
                assertThat(proxy.upstreamFailures())
                    .containsExactly("connect_timeout", "connect_timeout"));

    String reply = comeBack(protocol);
    RawHttp.Response r = get("/back");
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.bodyText()).isEqualTo(reply);
    assertThat(proxy.upstreamFailures()).hasSize(2);
  }

  /** Makes the backend answer as {@code protocol} does; returns the body a GET /back gets. */
  private String comeBack(String protocol) throws Exception {
    if (protocol.equals("h2c")) {
      H2Backend real = H2Backend.plain();
      open.add(real);
      relayTo(real.endpoint());
      return "h2 GET /back 0";
    }
    StubServer real = StubServer.named("back");
    open.add(real);
    relayTo(real.endpoint());
    return "back\n";
  }

  private void relayTo(String endpoint) throws Exception {
    int colon = endpoint.lastIndexOf(':');
    backend.comeBack(endpoint.substring(0, colon), Integer.parseInt(endpoint.substring(colon + 1)));
  }

  @Test
  void aGrpcCallToAnH2cBackendThatGetsNoAnswerIsUnavailableAndSucceedsOnceItAnswers()
      throws Exception {
    startProxy("h2c");
    ManagedChannel channel =
        NettyChannelBuilder.forAddress("127.0.0.1", proxy.port()).usePlaintext().build();
    open.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);

    long start = System.nanoTime();
    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, options, "hi"));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).isEqualTo("canary-proxy: upstream connect_timeout");
    assertThat(tookMillis).isGreaterThanOrEqualTo(CONNECT_MILLIS);
    await().until(() -> !proxy.done().isEmpty());
    RunningProxy.Done done = proxy.done().get(0);
    assertThat(done.failure()).isEqualTo("connect_timeout");
    assertThat(done.status()).as("answered as gRPC: HTTP 200").isEqualTo(200);
    assertThat(done.grpcStatus()).isEqualTo("UNAVAILABLE");

    GrpcBackend real = GrpcBackend.start("stable");
    open.add(real);
    relayTo(real.endpoint());
    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, options, "hi"))
        .isEqualTo("stable:hi");
    assertThat(proxy.upstreamFailures()).containsExactly("connect_timeout");
  }
}
