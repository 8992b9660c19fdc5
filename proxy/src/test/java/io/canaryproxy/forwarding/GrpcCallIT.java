package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.config.TimeoutsConfig;
import io.canaryproxy.grpc.GrpcTimeout;
import io.canaryproxy.testing.GrpcWire;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * gRPC calls through the proxy on real sockets: a real gRPC client (grpc-java over h2c) and raw
 * HTTP/1.1 requests, to an HTTP/1.1 backend that speaks gRPC's framing with chunked bodies and
 * trailers. Shows the status each call ends with, which ones count as errors, the proxy's own
 * failures answered as gRPC statuses, and {@code grpc-timeout} honoured as a deadline.
 */
class GrpcCallIT {
  private static final byte[] PING = "ping".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PONG = "pong".getBytes(StandardCharsets.UTF_8);

  private StubServer backend;
  private RunningProxy proxy;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  private void start(String stableEndpoint, TimeoutsConfig timeouts) throws Exception {
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of("stable", stableEndpoint, "canary", stableEndpoint),
            TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
            timeouts,
            TestConfigs.defaultLimits());
    proxy = new RunningProxy(config);
    channel = GrpcWire.channel(proxy.port());
  }

  private static TimeoutsConfig responseTimeout(Duration response) {
    TimeoutsConfig d = TestConfigs.defaultTimeouts();
    return new TimeoutsConfig(
        d.connect(), response, d.clientIdle(), d.requestHeader(), d.backendIdle());
  }

  private RunningProxy.Done lastDone(int count) {
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.done().size() >= count);
    return proxy.done().get(count - 1);
  }

  private static StatusRuntimeException callFails(ManagedChannel channel, CallOptions options) {
    return catchThrowableOfType(
        StatusRuntimeException.class, () -> GrpcWire.call(channel, PING, options));
  }

  @Test
  void aUnaryCallPassesWithItsTrailersAndEndsOk() throws Exception {
    backend = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, PONG, 0, null));
    start(backend.endpoint(), TestConfigs.defaultTimeouts());

    assertThat(GrpcWire.call(channel, PING, 30_000)).isEqualTo(PONG);

    RunningProxy.Done done = lastDone(1);
    assertThat(done.status()).isEqualTo(200);
    assertThat(done.grpcStatus()).isEqualTo("OK");
    assertThat(done.error()).isFalse();
    assertThat(backend.received().get(0).header("content-type")).isEqualTo("application/grpc");
  }

  @Test
  void aStatusInTheTrailersOrATrailersOnlyAnswerCountsAsAnErrorOnlyWhenConfiguredSo()
      throws Exception {
    AtomicInteger next = new AtomicInteger();
    backend =
        StubServer.start(
            (ctx, req) -> {
              switch (next.getAndIncrement()) {
                case 0 -> GrpcWire.reply(ctx, null, 14, "backend%20down");
                case 1 -> GrpcWire.replyStatusOnly(ctx, 5, "no such thing");
                default -> GrpcWire.replyStatusOnly(ctx, 13, null);
              }
            });
    start(backend.endpoint(), TestConfigs.defaultTimeouts());

    StatusRuntimeException unavailable = callFails(channel, CallOptions.DEFAULT);
    assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(unavailable.getStatus().getDescription()).isEqualTo("backend down");
    RunningProxy.Done first = lastDone(1);
    assertThat(first.status()).isEqualTo(200);
    assertThat(first.failure()).isNull();
    assertThat(first.grpcStatus()).isEqualTo("UNAVAILABLE");
    assertThat(first.error()).as("UNAVAILABLE counts as an error by default").isTrue();

    StatusRuntimeException notFound = callFails(channel, CallOptions.DEFAULT);
    assertThat(notFound.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
    RunningProxy.Done second = lastDone(2);
    assertThat(second.grpcStatus()).isEqualTo("NOT_FOUND");
    assertThat(second.error()).as("NOT_FOUND is the caller's doing").isFalse();

    assertThat(callFails(channel, CallOptions.DEFAULT).getStatus().getCode())
        .isEqualTo(Status.Code.INTERNAL);
    assertThat(lastDone(3).error()).isTrue();
  }

  @Test
  void aBackendThatCannotBeReachedIsUnavailableToTheGrpcClient() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    start("127.0.0.1:" + closedPort, TestConfigs.defaultTimeouts());

    StatusRuntimeException e = callFails(channel, CallOptions.DEFAULT);

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(e.getStatus().getDescription()).contains("connect_failed");
    RunningProxy.Done done = lastDone(1);
    assertThat(done.failure()).isEqualTo("connect_failed");
    assertThat(done.status()).as("answered as gRPC: HTTP 200").isEqualTo(200);
    assertThat(done.grpcStatus()).isEqualTo("UNAVAILABLE");
    assertThat(done.error()).isTrue();
  }

  @Test
  void aBackendThatStaysSilentIsDeadlineExceededToTheGrpcClient() throws Exception {
    backend = StubServer.start((ctx, req) -> {}); // never answers
    start(backend.endpoint(), responseTimeout(Duration.ofMillis(300)));

    StatusRuntimeException e = callFails(channel, CallOptions.DEFAULT); // no deadline of its own

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(e.getStatus().getDescription()).contains("response_timeout");
    RunningProxy.Done done = lastDone(1);
    assertThat(done.failure()).isEqualTo("response_timeout");
    assertThat(done.grpcStatus()).isEqualTo("DEADLINE_EXCEEDED");
  }

  @Test
  void theClientsDeadlineIsForwardedReducedByTheTimeAlreadySpent() throws Exception {
    backend = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, PONG, 0, null));
    start(backend.endpoint(), TestConfigs.defaultTimeouts());

    assertThat(GrpcWire.call(channel, PING, 20_000)).isEqualTo(PONG);

    long forwarded = GrpcTimeout.parseNanos(backend.received().get(0).header("grpc-timeout"));
    assertThat(forwarded).isPositive().isLessThanOrEqualTo(TimeUnit.SECONDS.toNanos(20));
  }

  /** A raw gRPC request over HTTP/1.1, bodiless message of length 0, with extra header lines. */
  private static String grpcRequest(String... headerLines) {
    StringBuilder sb =
        new StringBuilder(
            "POST /test.Echo/Call HTTP/1.1\r\nHost: grpc.test\r\ncontent-type: application/grpc\r\n");
    for (String line : headerLines) {
      sb.append(line).append("\r\n");
    }
    return sb.append("content-length: 5\r\n\r\n\0\0\0\0\0").toString();
  }

  @Test
  void grpcTimeoutBoundsTheResponseTimeAndExpiresAsDeadlineExceeded() throws Exception {
    backend = StubServer.start((ctx, req) -> {}); // never answers
    start(backend.endpoint(), TestConfigs.defaultTimeouts()); // response timeout: 30 s

    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response r = client.send(grpcRequest("grpc-timeout: 200m")).read(false);

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("content-type")).isEqualTo("application/grpc");
      assertThat(r.header("grpc-status")).isEqualTo("4");
      assertThat(r.header("grpc-message")).isEqualTo("canary-proxy: upstream deadline_exceeded");
      assertThat(r.header("x-canary-proxy-error")).isEqualTo("deadline_exceeded");
      assertThat(r.body()).isEmpty();
    }
    RunningProxy.Done done = lastDone(1);
    assertThat(done.failure()).isEqualTo("deadline_exceeded");
    assertThat(done.grpcStatus()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(backend.received()).hasSize(1);
    long forwarded = GrpcTimeout.parseNanos(backend.received().get(0).header("grpc-timeout"));
    assertThat(forwarded).isPositive().isLessThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(200));
  }

  @Test
  void aMalformedGrpcTimeoutIsIgnoredAndForwardedAsSent() throws Exception {
    backend =
        StubServer.start(
            StubServer.delayed(300, (ctx, req) -> GrpcWire.replyStatusOnly(ctx, 0, null)));
    start(backend.endpoint(), TestConfigs.defaultTimeouts());

    try (RawHttp client = new RawHttp(proxy.port())) {
      // 9 digits: one more than gRPC allows; were it read as 1 ns the call would fail at once
      RawHttp.Response r = client.send(grpcRequest("grpc-timeout: 000000001n")).read(false);

      assertThat(r.status()).isEqualTo(200);
      assertThat(r.header("grpc-status")).isEqualTo("0");
    }
    assertThat(backend.received().get(0).header("grpc-timeout")).isEqualTo("000000001n");
    assertThat(lastDone(1).failure()).isNull();
  }

  @Test
  void aMessageOverTheBodyLimitIsResourceExhaustedToTheGrpcClient() throws Exception {
    backend = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, PONG, 0, null));
    io.canaryproxy.config.LimitsConfig d = TestConfigs.defaultLimits();
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of("stable", backend.endpoint(), "canary", backend.endpoint()),
            TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
            TestConfigs.defaultTimeouts(),
            new io.canaryproxy.config.LimitsConfig(
                d.maxRequestLineBytes(), d.maxHeaderBytes(), d.maxHeaders(), 1024));
    proxy = new RunningProxy(config);
    channel = GrpcWire.channel(proxy.port());

    StatusRuntimeException e =
        catchThrowableOfType(
            StatusRuntimeException.class,
            () -> GrpcWire.call(channel, new byte[4096], CallOptions.DEFAULT));

    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(e.getStatus().getDescription()).contains("limits.maxBodyBytes");
    assertThat(GrpcWire.call(channel, PING, 30_000))
        .as("the connection serves the next call")
        .isEqualTo(PONG);
  }

  @Test
  void aNonGrpcRequestKeepsItsHttpErrorAnswer() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    start("127.0.0.1:" + closedPort, TestConfigs.defaultTimeouts());

    try (RawHttp client = new RawHttp(proxy.port())) {
      RawHttp.Response r =
          client.send("GET / HTTP/1.1\r\nHost: x\r\ngrpc-timeout: 1m\r\n\r\n").read(false);
      assertThat(r.status()).isEqualTo(502);
      assertThat(r.header("grpc-status")).isNull();
    }
    assertThat(lastDone(1).grpcStatus()).isNull();
  }
}
