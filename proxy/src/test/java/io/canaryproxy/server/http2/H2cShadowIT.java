package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.mirroring.MirrorStats;
import io.canaryproxy.mirroring.Mirroring;
import io.canaryproxy.testing.RunningProxy;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A shadow backend reached over h2c ({@code protocol: h2c} on {@code mirror.to}): a unary gRPC call
 * is copied to a real grpc-java shadow server over HTTP/2; once that shadow is gone, the copy fails
 * and the client still gets the stable answer.
 */
class H2cShadowIT {
  private GrpcBackend stable;
  private GrpcBackend shadow;
  private RunningProxy proxy;
  private ManagedChannel channel;

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    if (stable != null) {
      stable.close();
    }
    if (shadow != null) {
      shadow.close();
    }
  }

  @Test
  void aUnaryCallIsMirroredToAnH2cShadowAndAShadowFailureNeverReachesTheClient() throws Exception {
    stable = GrpcBackend.start("stable");
    shadow = GrpcBackend.start("shadow");
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: { endpoints: [\"" + stable.endpoint() + "\"], protocol: h2c }",
            "  canary: { endpoints: [\"" + stable.endpoint() + "\"], protocol: h2c }",
            "  shadow: { endpoints: [\"" + shadow.endpoint() + "\"], protocol: h2c }",
            "routing:",
            "  canaryPercent: 0",
            "mirror:",
            "  to: shadow",
            "  percent: 100",
            "  methods: [POST]",
            "");
    ProxyConfig config = ConfigLoader.parse(yaml);
    Mirroring mirroring =
        new Mirroring(
            config.mirror(), config.backends(), "stable", "salt", config.timeouts(), null);
    proxy = new RunningProxy(config, mirroring);
    channel = NettyChannelBuilder.forAddress("127.0.0.1", proxy.port()).usePlaintext().build();
    CallOptions deadline = CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);

    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline, "one"))
        .isEqualTo("stable:one");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> mirroring.stats().requests(MirrorStats.Outcome.COMPLETED) == 1);
    assertThat(shadow.calls.get()).isEqualTo(1);

    shadow.close();
    shadow = null;
    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline, "two"))
        .isEqualTo("stable:two");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> mirroring.stats().requests(MirrorStats.Outcome.FAILED) == 1);
    assertThat(mirroring.stats().requests(MirrorStats.Outcome.COMPLETED)).isEqualTo(1);
    assertThat(proxy.done()).extracting(RunningProxy.Done::failure).containsOnlyNulls();
  }
}
