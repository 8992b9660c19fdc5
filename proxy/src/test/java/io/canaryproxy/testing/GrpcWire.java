package io.canaryproxy.testing;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;

/**
 * gRPC for tests without protoc: a real gRPC client (grpc-java, its own shaded Netty) calling
 * methods whose messages are raw bytes, and the answers of a gRPC server spoken by an HTTP/1.1
 * {@link StubServer}: a chunked, length-prefixed body and {@code grpc-status} in the trailers (or a
 * trailers-only answer).
 */
public final class GrpcWire {
  /** Messages are the bytes themselves. */
  public static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        }
      };

  /** The unary method {@code /test.Echo/Call}. */
  public static final MethodDescriptor<byte[], byte[]> UNARY =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName("test.Echo/Call")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  /** The client-streaming method {@code /test.Echo/Collect}. */
  public static final MethodDescriptor<byte[], byte[]> CLIENT_STREAMING =
      MethodDescriptor.<byte[], byte[]>newBuilder()
          .setType(MethodDescriptor.MethodType.CLIENT_STREAMING)
          .setFullMethodName("test.Echo/Collect")
          .setRequestMarshaller(BYTES)
          .setResponseMarshaller(BYTES)
          .build();

  private GrpcWire() {}

  /** A plaintext (h2c, prior knowledge) channel to {@code 127.0.0.1:port}. */
  public static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  /**
   * Calls {@link #UNARY} with {@code request}; throws {@code StatusRuntimeException} on failure.
   */
  public static byte[] call(ManagedChannel channel, byte[] request, CallOptions options) {
    return ClientCalls.blockingUnaryCall(channel, UNARY, options, request);
  }

  /** Calls {@link #UNARY} with a deadline of {@code millis}. */
  public static byte[] call(ManagedChannel channel, byte[] request, long deadlineMillis) {
    return call(
        channel,
        request,
        CallOptions.DEFAULT.withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS));
  }

  /** {@code message} with its 5-byte prefix (not compressed). */
  public static byte[] frame(byte[] message) {
    return ByteBuffer.allocate(5 + message.length)
        .put((byte) 0)
        .putInt(message.length)
        .put(message)
        .array();
  }

  /** Answers one message and {@code grpc-status: status} in the trailers. */
  public static void reply(ChannelHandlerContext ctx, byte[] message, int status, String text) {
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
    HttpUtil.setTransferEncodingChunked(head, true);
    ctx.write(head);
    if (message != null) {
      ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(frame(message))));
    }
    LastHttpContent end = new DefaultLastHttpContent();
    end.trailingHeaders().set("grpc-status", Integer.toString(status));
    if (text != null) {
      end.trailingHeaders().set("grpc-message", text);
    }
    ctx.writeAndFlush(end);
  }

  /** A trailers-only answer: {@code grpc-status} in the only header block, no body. */
  public static void replyStatusOnly(ChannelHandlerContext ctx, int status, String text) {
    FullHttpResponse r =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1, HttpResponseStatus.OK, Unpooled.EMPTY_BUFFER);
    r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/grpc");
    r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, 0);
    r.headers().set("grpc-status", Integer.toString(status));
    if (text != null) {
      r.headers().set("grpc-message", text);
    }
    ctx.writeAndFlush(r);
  }
}
