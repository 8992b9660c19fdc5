package io.canaryproxy.demo;

import io.canaryproxy.pool.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A small JSON backend for the demo: answers every request with {@code {"version": NAME, "path":
 * ..., "servedAt": ...}} after a latency chosen per request. The demo starts one per variant, in
 * the proxy's own process.
 */
public final class DemoBackend implements AutoCloseable {
  private final EventLoopGroup group;
  private final Channel channel;

  /**
   * @param name the version name put in every answer
   * @param latencyMillis the delay before each answer, asked per request (so it can change over
   *     time)
   * @param extraField an extra JSON field added to answers for paths containing {@code beta}, or
   *     {@code null} (the demo's shadow differs from the primaries this way)
   */
  public DemoBackend(
      String host, int port, String name, LongSupplier latencyMillis, String extraField)
      throws InterruptedException {
    group = Transports.newGroup(1, "demo-" + name);
    try {
      channel = bind(host, port, name, latencyMillis, extraField);
    } catch (Exception e) { // Netty rethrows the bind's IOException unchecked
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw e;
    }
  }

  private Channel bind(
      String host, int port, String name, LongSupplier latencyMillis, String extraField)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel())
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline()
                    .addLast(new HttpServerCodec())
                    .addLast(new HttpServerKeepAliveHandler())
                    .addLast(new Responder(name, latencyMillis, extraField));
              }
            })
        .bind(new InetSocketAddress(host, port))
        .sync()
        .channel();
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** A latency around {@code millis}: uniform in [millis/2, 3*millis/2]. */
  public static long jitter(long millis) {
    return millis <= 0
        ? 0
        : ThreadLocalRandom.current().nextLong(millis / 2, millis + millis / 2 + 1);
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static final class Responder extends SimpleChannelInboundHandler<HttpObject> {
    private final String name;
    private final LongSupplier latencyMillis;
    private final String extraField;
    private String path = "/";

    Responder(String name, LongSupplier latencyMillis, String extraField) {
      this.name = name;
      this.latencyMillis = latencyMillis;
      this.extraField = extraField;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpRequest request) {
        path = request.uri();
      }
      if (msg instanceof LastHttpContent) {
        String body =
            "{\"version\":\""
                + name
                + "\",\"path\":\""
                + path.replace("\"", "")
                + "\",\"servedAt\":"
                + System.currentTimeMillis()
                + (extraField != null && path.contains("beta") ? "," + extraField : "")
                + "}\n";
        ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse response =
            new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, content);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        long delay = latencyMillis.getAsLong();
        if (delay <= 0) {
          ctx.writeAndFlush(response);
        } else {
          ctx.executor().schedule(() -> ctx.writeAndFlush(response), delay, TimeUnit.MILLISECONDS);
        }
      }
    }
  }
}
