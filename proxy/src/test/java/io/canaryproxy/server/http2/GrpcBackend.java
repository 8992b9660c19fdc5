package io.canaryproxy.server.http2;

import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real gRPC server (grpc-java, its own shaded Netty) on 127.0.0.1, speaking h2c or, given a
 * certificate, h2 over TLS. Its service {@code test.Echo} has one method of each streaming kind,
 * each answer starting with the server's name, so a test sees which backend served a call. Messages
 * are UTF-8 strings: no protoc needed.
 */
final class GrpcBackend implements AutoCloseable {
  static final MethodDescriptor.Marshaller<String> STRING =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(String value) {
          return new ByteArrayInputStream(value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public String parse(InputStream stream) {
          try {
            return new String(stream.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** Answers {@code NAME:request}; the request {@code fail} is answered FAILED_PRECONDITION. */
  static final MethodDescriptor<String, String> UNARY =
      method("Unary", MethodDescriptor.MethodType.UNARY);

  /** The request {@code n} is answered with n messages {@code NAME:0} .. {@code NAME:n-1}. */
  static final MethodDescriptor<String, String> COUNT =
      method("Count", MethodDescriptor.MethodType.SERVER_STREAMING);

  /** Answers {@code NAME:a,b,c} once the client sent a, b, c and half-closed. */
  static final MethodDescriptor<String, String> JOIN =
      method("Join", MethodDescriptor.MethodType.CLIENT_STREAMING);

  /** Answers each message {@code m} with {@code NAME:m} as soon as it arrives. */
  static final MethodDescriptor<String, String> CHAT =
      method("Chat", MethodDescriptor.MethodType.BIDI_STREAMING);

  /**
   * Sends {@link #FLOOD_MESSAGES} messages of {@link #FLOOD_MESSAGE_BYTES} (or, when the request is
   * {@code COUNT:BYTES}, that many of that size), only while the transport takes more ({@code
   * isReady}), as a well-behaved gRPC server does.
   */
  static final MethodDescriptor<String, String> FLOOD =
      method("Flood", MethodDescriptor.MethodType.SERVER_STREAMING);

  /**
   * Takes messages only as the test asks ({@link #sinkRequest}), as a server with manual flow
   * control does, and answers {@code NAME:COUNT} once the client half-closed.
   */
  static final MethodDescriptor<String, String> SINK =
      method("Sink", MethodDescriptor.MethodType.CLIENT_STREAMING);

  /** Messages the sink took so far. */
  final AtomicInteger sinkReceived = new AtomicInteger();

  private volatile ServerCallStreamObserver<String> sinkCall;

  static final int FLOOD_MESSAGES = 512;
  static final int FLOOD_MESSAGE_BYTES = 16 * 1024;

  private final String name;
  private final Server server;

  /** Flood messages handed to the transport so far. */
  final AtomicInteger floodSent = new AtomicInteger();

  /** True once the flood found the transport full (not ready) at least once. */
  final AtomicBoolean floodBlocked = new AtomicBoolean();

  final AtomicBoolean floodDone = new AtomicBoolean();

  /** Calls received, of any method. */
  final AtomicInteger calls = new AtomicInteger();

  private GrpcBackend(String name, Path certFile, Path keyFile) throws IOException {
    this.name = name;
    NettyServerBuilder b =
        NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(service());
    if (certFile != null) {
      b.sslContext(GrpcSslContexts.forServer(certFile.toFile(), keyFile.toFile()).build());
    }
    server = b.build().start();
  }

  /** A cleartext (h2c) server named {@code name}. */
  static GrpcBackend start(String name) throws IOException {
    return new GrpcBackend(name, null, null);
  }

  /** A server over TLS (ALPN h2) with this certificate and key. */
  static GrpcBackend startTls(String name, Path certFile, Path keyFile) throws IOException {
    return new GrpcBackend(name, certFile, keyFile);
  }

  String endpoint() {
    return "127.0.0.1:" + server.getPort();
  }

  private static MethodDescriptor<String, String> method(
      String name, MethodDescriptor.MethodType type) {
    return MethodDescriptor.<String, String>newBuilder()
        .setType(type)
        .setFullMethodName(MethodDescriptor.generateFullMethodName("test.Echo", name))
        .setRequestMarshaller(STRING)
        .setResponseMarshaller(STRING)
        .build();
  }

  private ServerServiceDefinition service() {
    return ServerServiceDefinition.builder("test.Echo")
        .addMethod(UNARY, ServerCalls.asyncUnaryCall(this::unary))
        .addMethod(COUNT, ServerCalls.asyncServerStreamingCall(this::count))
        .addMethod(JOIN, ServerCalls.asyncClientStreamingCall(this::join))
        .addMethod(CHAT, ServerCalls.asyncBidiStreamingCall(this::chat))
        .addMethod(FLOOD, ServerCalls.asyncServerStreamingCall(this::flood))
        .addMethod(SINK, ServerCalls.asyncClientStreamingCall(this::sink))
        .build();
  }

  private void unary(String request, StreamObserver<String> out) {
    calls.incrementAndGet();
    if (request.equals("fail")) {
      out.onError(
          Status.FAILED_PRECONDITION.withDescription(name + " refuses: fail").asRuntimeException());
      return;
    }
    out.onNext(name + ":" + request);
    out.onCompleted();
  }

  private void count(String request, StreamObserver<String> out) {
    calls.incrementAndGet();
    int n = Integer.parseInt(request);
    for (int i = 0; i < n; i++) {
      out.onNext(name + ":" + i);
    }
    out.onCompleted();
  }

  private StreamObserver<String> join(StreamObserver<String> out) {
    calls.incrementAndGet();
    List<String> got = new ArrayList<>();
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        got.add(value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onNext(name + ":" + String.join(",", got));
        out.onCompleted();
      }
    };
  }

  private StreamObserver<String> chat(StreamObserver<String> out) {
    calls.incrementAndGet();
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        out.onNext(name + ":" + value);
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onCompleted();
      }
    };
  }

  private void flood(String request, StreamObserver<String> plain) {
    calls.incrementAndGet();
    ServerCallStreamObserver<String> out = (ServerCallStreamObserver<String>) plain;
    int colon = request.indexOf(':');
    int messages = colon < 0 ? FLOOD_MESSAGES : Integer.parseInt(request.substring(0, colon));
    int bytes = colon < 0 ? FLOOD_MESSAGE_BYTES : Integer.parseInt(request.substring(colon + 1));
    String message = "x".repeat(bytes);
    out.setOnReadyHandler(
        () -> {
          while (out.isReady() && floodSent.get() < messages) {
            out.onNext(message);
            floodSent.incrementAndGet();
          }
          if (floodSent.get() < messages) {
            floodBlocked.set(true);
          } else if (floodDone.compareAndSet(false, true)) {
            out.onCompleted();
          }
        });
  }

  private StreamObserver<String> sink(StreamObserver<String> plain) {
    calls.incrementAndGet();
    ServerCallStreamObserver<String> out = (ServerCallStreamObserver<String>) plain;
    out.disableAutoRequest();
    sinkCall = out;
    return new StreamObserver<>() {
      @Override
      public void onNext(String value) {
        sinkReceived.incrementAndGet();
      }

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {
        out.onNext(name + ":" + sinkReceived.get());
        out.onCompleted();
      }
    };
  }

  /** Lets the sink take {@code n} more messages; false while no sink call has started. */
  boolean sinkRequest(int n) {
    ServerCallStreamObserver<String> call = sinkCall;
    if (call == null) {
      return false;
    }
    call.request(n);
    return true;
  }

  @Override
  public void close() throws InterruptedException {
    server.shutdownNow();
    server.awaitTermination(10, TimeUnit.SECONDS);
  }
}
