package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.TestCertificates;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Real gRPC through the proxy: grpc-java clients (h2c with prior knowledge) call grpc-java servers
 * behind it, a stable and a canary backend with {@code protocol: h2c}, in each of the four
 * streaming kinds; the status and message in the trailers arrive; a user key in the call's metadata
 * keeps a user on one variant; a client that stops reading stops the server (flow control end to
 * end, nothing buffered without bound); and the same over TLS to a backend with {@code protocol:
 * h2}.
 */
class GrpcPassthroughIT {
  private static final Metadata.Key<String> USER =
      Metadata.Key.of("x-user-id", Metadata.ASCII_STRING_MARSHALLER);

  @TempDir Path dir;
  private final List<AutoCloseable> open = new ArrayList<>();
  private GrpcBackend stable;
  private GrpcBackend canary;
  private RunningProxy proxy;
  private ManagedChannel channel;

  @BeforeEach
  void start() throws Exception {
    stable = GrpcBackend.start("stable");
    canary = GrpcBackend.start("canary");
    open.add(stable);
    open.add(canary);
  }

  @AfterEach
  void stop() throws Exception {
    if (channel != null) {
      channel.shutdownNow();
      channel.awaitTermination(10, TimeUnit.SECONDS);
    }
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : open) {
      c.close();
    }
  }

  private void startProxy(String stableBackend, String canaryBackend, double canaryPercent)
      throws Exception {
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: " + stableBackend,
            "  canary: " + canaryBackend,
            "routing:",
            "  userKey:",
            "    - header: x-user-id",
            "  canaryPercent: " + canaryPercent,
            "  salt: \"grpc-salt\"",
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));
    channel =
        NettyChannelBuilder.forAddress("127.0.0.1", proxy.port())
            .usePlaintext()
            .flowControlWindow(64 * 1024)
            .build();
  }

  private static String h2c(GrpcBackend b) {
    return "{ endpoints: [\"" + b.endpoint() + "\"], protocol: h2c }";
  }

  private static CallOptions deadline() {
    return CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS);
  }

  private static Channel asUser(Channel channel, String user) {
    Metadata md = new Metadata();
    md.put(USER, user);
    return ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
  }

  @Test
  void allFourKindsPassThroughToTheStableBackend() throws Exception {
    startProxy(h2c(stable), h2c(canary), 0);

    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline(), "hi"))
        .isEqualTo("stable:hi");

    List<String> counted = new ArrayList<>();
    Iterator<String> it =
        ClientCalls.blockingServerStreamingCall(channel, GrpcBackend.COUNT, deadline(), "5");
    it.forEachRemaining(counted::add);
    assertThat(counted).containsExactly("stable:0", "stable:1", "stable:2", "stable:3", "stable:4");

    CompletableFuture<String> joined = new CompletableFuture<>();
    StreamObserver<String> requests =
        ClientCalls.asyncClientStreamingCall(
            channel.newCall(GrpcBackend.JOIN, deadline()), observer(joined));
    requests.onNext("a");
    requests.onNext("b");
    requests.onNext("c");
    requests.onCompleted();
    assertThat(joined.get(30, TimeUnit.SECONDS)).isEqualTo("stable:a,b,c");

    // Bidi: each answer arrives before the next message is sent, so nothing waits for the end of
    // either stream.
    BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    CompletableFuture<String> chatDone = new CompletableFuture<>();
    StreamObserver<String> chat =
        ClientCalls.asyncBidiStreamingCall(
            channel.newCall(GrpcBackend.CHAT, deadline()), queueing(answers, chatDone));
    for (String m : List.of("one", "two", "three")) {
      chat.onNext(m);
      assertThat(answers.poll(30, TimeUnit.SECONDS)).isEqualTo("stable:" + m);
    }
    chat.onCompleted();
    chatDone.get(30, TimeUnit.SECONDS);

    assertThat(canary.calls.get()).isZero();
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(4));
    assertThat(proxy.done()).allSatisfy(d -> assertThat(d.variant()).isEqualTo("stable"));
  }

  @Test
  void grpcStatusAndMessageInTrailersReachTheClient() throws Exception {
    startProxy(h2c(stable), h2c(canary), 0);

    assertThatThrownBy(
            () -> ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline(), "fail"))
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
              assertThat(e.getStatus().getDescription()).isEqualTo("stable refuses: fail");
            });
    // The connection and the pool go on serving after an error status.
    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline(), "again"))
        .isEqualTo("stable:again");
  }

  @Test
  void aUserKeyInMetadataKeepsEachUserOnOneVariant() throws Exception {
    startProxy(h2c(stable), h2c(canary), 50);

    Set<String> variantsSeen = new HashSet<>();
    for (int u = 0; u < 20; u++) {
      Channel user = asUser(channel, "user-" + u);
      Set<String> mine = new HashSet<>();
      for (int call = 0; call < 3; call++) {
        String answer = ClientCalls.blockingUnaryCall(user, GrpcBackend.UNARY, deadline(), "x");
        mine.add(answer.substring(0, answer.indexOf(':')));
      }
      assertThat(mine).as("variants of user-%d", u).hasSize(1);
      variantsSeen.addAll(mine);
    }
    assertThat(variantsSeen).containsExactlyInAnyOrder("stable", "canary");
    assertThat(canary.calls.get()).isPositive();
  }

  /**
   * 16 KiB messages fit the client's 64 KiB stream window several times; 64 KiB ones (framed, 5
   * bytes more) are just over it, so each message waits for a WINDOW_UPDATE half-way (they stopped
   * one message short and ended in {@code response_timeout} once); 1 MiB ones are larger than every
   * window on the way.
   */
  @ParameterizedTest(name = "{0} messages of {1} bytes")
  @CsvSource({"512, 16384", "128, 65536", "24, 1048576"})
  void aSlowReaderStopsTheServerAndThenGetsEveryMessage(int messages, int bytes) throws Exception {
    startProxy(h2c(stable), h2c(canary), 0);

    AtomicInteger received = new AtomicInteger();
    CompletableFuture<Status> closed = new CompletableFuture<>();
    ClientCall<String, String> call =
        channel.newCall(
            GrpcBackend.FLOOD, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS));
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onMessage(String message) {
            received.incrementAndGet();
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            closed.complete(status);
          }
        },
        new Metadata());
    call.request(1);
    call.sendMessage(messages + ":" + bytes);
    call.halfClose();

    // The client takes one message and then reads nothing: the windows fill up (the client's, the
    // proxy's toward the backend) and the server finds its transport full.
    await().atMost(Duration.ofSeconds(30)).untilTrue(stable.floodBlocked);
    // What the server got out before it stopped: what the windows and buffers on the way hold (the
    // client's 64 KiB stream window, the proxy's toward the backend, a message being written at
    // each end) is far less than the whole stream (8 MiB, 24 MiB for the large messages).
    long bound = Math.max(2L << 20, 4L * bytes);
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(30))
        .until(() -> !stable.floodDone.get() && (long) stable.floodSent.get() * bytes < bound);
    assertThat(received.get()).isEqualTo(1);

    call.request(messages);
    Status status = closed.get(120, TimeUnit.SECONDS);
    assertThat(status.getCode())
        .as(
            "%s; client received %d, server sent %d",
            status, received.get(), stable.floodSent.get())
        .isEqualTo(Status.Code.OK);
    assertThat(received.get()).isEqualTo(messages);
  }

  /**
   * Flow control toward the backend: a server that takes no message stops a client-streaming upload
   * of 64 KiB messages (the proxy re-opens the client's window only as the backend takes bytes),
   * and once it takes them all the call completes.
   */
  @Test
  void aServerThatTakesNoMessageStopsTheUploadAndThenGetsEveryMessage() throws Exception {
    startProxy(h2c(stable), h2c(canary), 0);
    int messages = 128;
    String message = "y".repeat(64 * 1024);

    AtomicInteger sent = new AtomicInteger();
    CompletableFuture<String> answer = new CompletableFuture<>();
    ClientCall<String, String> call =
        channel.newCall(
            GrpcBackend.SINK, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS));
    call.start(
        new ClientCall.Listener<>() {
          @Override
          public void onReady() {
            while (call.isReady() && sent.get() < messages) {
              call.sendMessage(message);
              sent.incrementAndGet();
            }
            if (sent.get() == messages && sent.compareAndSet(messages, messages + 1)) {
              call.halfClose();
            }
          }

          @Override
          public void onMessage(String m) {
            answer.complete(m);
          }

          @Override
          public void onClose(Status status, Metadata trailers) {
            if (!status.isOk()) {
              answer.completeExceptionally(status.asRuntimeException());
            }
          }
        },
        new Metadata());
    call.request(1);

    // The upload stops: what the client got out is what the windows on the way hold (the server's
    // and the proxy's 64 KiB stream windows, the proxy's request buffer of a stream), not 8 MiB.
    await().atMost(Duration.ofSeconds(30)).until(() -> stable.calls.get() == 1);
    AtomicInteger last = new AtomicInteger(-1);
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(500))
        .until(() -> last.getAndSet(sent.get()) == sent.get());
    long bound = 2L << 20;
    await()
        .during(Duration.ofSeconds(1))
        .atMost(Duration.ofSeconds(30))
        .until(() -> (long) sent.get() * message.length() < bound && !answer.isDone());
    assertThat(stable.sinkReceived.get()).isZero();

    assertThat(stable.sinkRequest(Integer.MAX_VALUE)).isTrue();
    assertThat(answer.get(120, TimeUnit.SECONDS)).isEqualTo("stable:" + messages);
  }

  @Test
  void h2OverTlsReachesAGrpcServerWithTls() throws Exception {
    TestCertificates certs = TestCertificates.create(dir.resolve("pki"));
    Path[] leaf = certs.leaf("grpc", "grpc backend", null);
    GrpcBackend secure = GrpcBackend.startTls("secure", leaf[0], leaf[1]);
    open.add(secure);
    String backend =
        "{ endpoints: [\""
            + secure.endpoint()
            + "\"], protocol: h2, tls: { caFile: \""
            + certs.ca()
            + "\" } }";
    startProxy(backend, h2c(canary), 0);

    assertThat(ClientCalls.blockingUnaryCall(channel, GrpcBackend.UNARY, deadline(), "tls"))
        .isEqualTo("secure:tls");
    List<String> counted = new ArrayList<>();
    ClientCalls.blockingServerStreamingCall(channel, GrpcBackend.COUNT, deadline(), "3")
        .forEachRemaining(counted::add);
    assertThat(counted).containsExactly("secure:0", "secure:1", "secure:2");
  }

  private static StreamObserver<String> observer(CompletableFuture<String> result) {
    return new StreamObserver<>() {
      private String last;

      @Override
      public void onNext(String value) {
        last = value;
      }

      @Override
      public void onError(Throwable t) {
        result.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        result.complete(last);
      }
    };
  }

  private static StreamObserver<String> queueing(
      BlockingQueue<String> answers, CompletableFuture<String> done) {
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        answers.add(value);
      }

      @Override
      public void onError(Throwable t) {
        done.completeExceptionally(t);
      }

      @Override
      public void onCompleted() {
        done.complete("");
      }
    };
  }
}
