package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.MirrorConfig.GrpcMirror;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.mirroring.MirrorStats.Part;
import io.canaryproxy.testing.GrpcWire;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestConfigs;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Mirroring of gRPC calls made by a real gRPC client: a unary call is copied to the shadow and its
 * answer compared by {@code grpc-status}; a client-streaming call is not copied under the default
 * {@code mirror.grpc: unary}, and is under {@code all}.
 */
class GrpcMirroringIT {
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final byte[] PING = "ping".getBytes(StandardCharsets.UTF_8);
  private static final byte[] PONG = "pong".getBytes(StandardCharsets.UTF_8);

  private final AtomicInteger shadowStatus = new AtomicInteger();
  private StubServer stable;
  private StubServer canary;
  private StubServer shadow;
  private RunningProxy proxy;
  private Mirroring mirroring;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws InterruptedException {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    for (StubServer s : new StubServer[] {stable, canary, shadow}) {
      if (s != null) {
        s.close();
      }
    }
  }

  private void start(GrpcMirror mode) throws InterruptedException {
    stable = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, PONG, 0, null));
    canary = StubServer.named("canary");
    shadow = StubServer.start((ctx, req) -> GrpcWire.reply(ctx, PONG, shadowStatus.get(), null));
    ProxyConfig config =
        TestConfigs.proxy(
            Map.of(
                "stable",
                stable.endpoint(),
                "canary",
                canary.endpoint(),
                "shadow",
                shadow.endpoint()),
            TestConfigs.routing(0, List.of(), "127.0.0.1/32"),
            TestConfigs.defaultTimeouts(),
            TestConfigs.defaultLimits());
    MirrorConfigs m = MirrorConfigs.percent(100).methods("GET", "POST").grpc(mode);
    mirroring =
        new Mirroring(
            m.config(), config.backends(), "stable", "test-salt", config.timeouts(), null);
    proxy = new RunningProxy(config, mirroring);
    channel = GrpcWire.channel(proxy.port());
  }

  private MirrorStats stats() {
    return mirroring.stats();
  }

  private static long crc(byte[] b) {
    CRC32 crc = new CRC32();
    crc.update(b);
    return crc.getValue();
  }

  /** A client-streaming call sending {@code messages}; returns the answer. */
  private byte[] collect(byte[]... messages) throws Exception {
    CompletableFuture<byte[]> answer = new CompletableFuture<>();
    StreamObserver<byte[]> requests =
        ClientCalls.asyncClientStreamingCall(
            channel.newCall(
                GrpcWire.CLIENT_STREAMING,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)),
            new StreamObserver<>() {
              @Override
              public void onNext(byte[] value) {
                answer.complete(value);
              }

              @Override
              public void onError(Throwable t) {
                answer.completeExceptionally(t);
              }

              @Override
              public void onCompleted() {}
            });
    for (byte[] m : messages) {
      requests.onNext(m);
    }
    requests.onCompleted();
    return answer.get(30, TimeUnit.SECONDS);
  }

  @Test
  void aUnaryCallIsCopiedToTheShadowAndMatchesOnItsGrpcStatus() throws Exception {
    start(GrpcMirror.UNARY);

    assertThat(GrpcWire.call(channel, PING, 30_000)).isEqualTo(PONG);

    await().atMost(WAIT).until(() -> stats().compared() == 1);
    assertThat(shadow.received()).hasSize(1);
    StubServer.Received copy = shadow.received().get(0);
    assertThat(copy.uri()).isEqualTo("/test.Echo/Call");
    assertThat(copy.header("content-type")).isEqualTo("application/grpc");
    assertThat(copy.header("x-canary-mirror")).isEqualTo("1");
    assertThat(copy.bodyBytes()).isEqualTo(5 + PING.length);
    assertThat(copy.crc32()).isEqualTo(crc(GrpcWire.frame(PING)));
    assertThat(stats().mismatches()).isZero();
    assertThat(stats().requests(Outcome.COMPLETED)).isEqualTo(1);
  }

  @Test
  void aShadowThatFailsTheCallUnderHttp200IsAStatusMismatch() throws Exception {
    shadowStatus.set(14);
    start(GrpcMirror.UNARY);

    assertThat(GrpcWire.call(channel, PING, 30_000)).isEqualTo(PONG);

    await().atMost(WAIT).until(() -> stats().compared() == 1);
    assertThat(stats().mismatches()).isEqualTo(1);
    assertThat(stats().comparisons(Part.STATUS, false, false)).isEqualTo(1);
    assertThat(stats().recentMismatches().get(0).detail()).isEqualTo("grpc-status 0 vs 14");
  }

  @Test
  void aClientStreamingCallIsNotCopiedUnderTheDefault() throws Exception {
    start(GrpcMirror.UNARY);

    assertThat(collect(PING, PING)).isEqualTo(PONG);

    await().atMost(WAIT).until(() -> stats().requests(Outcome.GRPC_STREAMING) == 1);
    assertThat(stable.received()).hasSize(1);
    assertThat(stable.received().get(0).bodyBytes()).isEqualTo(2 * (5 + PING.length));
    assertThat(stats().inFlight()).isZero();
    assertThat(stats().requests(Outcome.SENT)).isZero();
    // a later unary call on the same connection is still copied: nothing was left held
    assertThat(GrpcWire.call(channel, PING, 30_000)).isEqualTo(PONG);
    await().atMost(WAIT).until(() -> stats().compared() == 1);
    assertThat(shadow.received()).hasSize(1);
  }

  @Test
  void everyCallIsCopiedUnderAll() throws Exception {
    start(GrpcMirror.ALL);

    assertThat(collect(PING, PING)).isEqualTo(PONG);

    await().atMost(WAIT).until(() -> stats().compared() == 1);
    assertThat(shadow.received()).hasSize(1);
    assertThat(shadow.received().get(0).bodyBytes()).isEqualTo(2 * (5 + PING.length));
  }

  @Test
  void noCallIsCopiedUnderNone() throws Exception {
    start(GrpcMirror.NONE);

    assertThat(GrpcWire.call(channel, PING, 30_000)).isEqualTo(PONG);

    await().atMost(WAIT).until(() -> proxy.done().size() == 1);
    assertThat(proxy.done().get(0).mirrored()).isFalse();
    assertThat(stats().requests(Outcome.SENT)).isZero();
    assertThat(shadow.received()).isEmpty();
  }
}
