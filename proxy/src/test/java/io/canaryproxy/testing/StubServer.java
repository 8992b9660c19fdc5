package io.canaryproxy.testing;

import io.canaryproxy.pool.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32;

/**
 * A real HTTP/1.1 backend on a loopback port for integration tests. It streams request bodies
 * (never aggregates), records what it received, and answers as its {@link Behavior} says.
 */
public final class StubServer implements AutoCloseable {
  /** What the stub received for one request. */
  public record Received(
      String method, String uri, HttpHeaders headers, long bodyBytes, long crc32) {
    public String header(String name) {
      return headers.get(name);
    }
  }

  /** How the stub answers a fully received request. */
  @FunctionalInterface
  public interface Behavior {
    void respond(ChannelHandlerContext ctx, Received request);
  }

  private final EventLoopGroup group = Transports.newGroup(1, "stub");
  private final Channel channel;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger open = new AtomicInteger();
  private final AtomicLong bytesReceived = new AtomicLong();

  private StubServer(Behavior behavior) throws InterruptedException {
    this(new InetSocketAddress("127.0.0.1", 0), behavior);
  }

  /** TLS in front of the HTTP codec, or {@code null}. */
  private final io.netty.handler.ssl.SslContext tls;

  private StubServer(InetSocketAddress bind, Behavior behavior) throws InterruptedException {
    this(bind, behavior, null);
  }

  private StubServer(InetSocketAddress bind, Behavior behavior, io.netty.handler.ssl.SslContext tls)
      throws InterruptedException {
    this.tls = tls;
    try {
      channel = bind(bind, behavior);
    } catch (Exception e) { // also the BindException that sync() throws undeclared
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  private Channel bind(InetSocketAddress bind, Behavior behavior) throws InterruptedException {
    return new ServerBootstrap()
        .group(group)
        .channel(Transports.serverChannel())
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                connections.incrementAndGet();
                open.incrementAndGet();
                ch.closeFuture().addListener(f -> open.decrementAndGet());
                ch.pipeline().addLast(new ByteCounter());
                if (tls != null) {
                  ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                }
                ch.pipeline().addLast(new HttpServerCodec());
                ch.pipeline().addLast(new Recorder(behavior));
              }
            })
        .bind(bind)
        .sync()
        .channel();
  }

  /** A stub that speaks TLS with {@code tls} (a server context) on 127.0.0.1. */
  public static StubServer startTls(io.netty.handler.ssl.SslContext tls, Behavior behavior)
      throws InterruptedException {
    return new StubServer(new InetSocketAddress("127.0.0.1", 0), behavior, tls);
  }

  public static StubServer start(Behavior behavior) throws InterruptedException {
    return new StubServer(behavior);
  }

  /**
   * A stub on {@code host:port}, such as a second loopback address (127.0.0.2) on the port of
   * another stub, as the pods of one headless Service share a port.
   */
  public static StubServer startOn(String host, int port, Behavior behavior)
      throws InterruptedException {
    return new StubServer(new InetSocketAddress(host, port), behavior);
  }

  /** A stub answering 200 with body {@code name + "\n"} and header {@code x-backend: name}. */
  public static StubServer named(String name) throws InterruptedException {
    return start((ctx, req) -> reply(ctx, HttpResponseStatus.OK, name + "\n", "x-backend", name));
  }

  public int port() {
    return ((InetSocketAddress) channel.localAddress()).getPort();
  }

  public String endpoint() {
    return "127.0.0.1:" + port();
  }

  public List<Received> received() {
    return received;
  }

  /** TCP connections accepted so far. */
  public int connections() {
    return connections.get();
  }

  /** TCP connections open now. */
  public int openConnections() {
    return open.get();
  }

  /** Raw bytes received on all connections. */
  public long bytesReceived() {
    return bytesReceived.get();
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Answers with a full response; {@code headers} are name/value pairs. */
  public static void reply(
      ChannelHandlerContext ctx, HttpResponseStatus status, String body, String... headers) {
    ByteBuf content = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
    FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, content);
    response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
    response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain");
    for (int i = 0; i + 1 < headers.length; i += 2) {
      response.headers().add(headers[i], headers[i + 1]);
    }
    ctx.writeAndFlush(response);
  }

  /** Answers after {@code millis}, scheduled on the event loop. */
  public static Behavior delayed(long millis, Behavior then) {
    return (ctx, req) ->
        ctx.executor().schedule(() -> then.respond(ctx, req), millis, TimeUnit.MILLISECONDS);
  }

  /**
   * Streams a chunked body of {@code size} bytes (a repeating pattern), writing only while the
   * connection is writable, so the stub itself stays in bounded memory.
   */
  public static void streamChunked(ChannelHandlerContext ctx, long size) {
    HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    HttpUtil.setTransferEncodingChunked(response, true);
    ctx.write(response);
    Streamer streamer = new Streamer(ctx, size);
    ctx.channel().attr(STREAMER).set(streamer);
    streamer.run();
  }

  /** The byte at position {@code i} of a streamed body. */
  public static byte patternByte(long i) {
    return (byte) ('a' + (i % 26));
  }

  private static final io.netty.util.AttributeKey<Streamer> STREAMER =
      io.netty.util.AttributeKey.valueOf("stub-streamer");

  private static final class Streamer implements Runnable {
    private static final byte[] PATTERN = new byte[26 * 1024];

    static {
      for (int i = 0; i < PATTERN.length; i++) {
        PATTERN[i] = patternByte(i);
      }
    }

    private final ChannelHandlerContext ctx;
    private long remaining;
    private long position;

    Streamer(ChannelHandlerContext ctx, long size) {
      this.ctx = ctx;
      this.remaining = size;
    }

    @Override
    public void run() {
      while (remaining > 0 && ctx.channel().isWritable()) {
        int n = (int) Math.min(16 * 1024, remaining);
        ByteBuf buf = ctx.alloc().buffer(n);
        buf.writeBytes(PATTERN, (int) (position % 26), n);
        position += n;
        remaining -= n;
        ctx.write(new DefaultHttpContent(buf));
      }
      if (remaining == 0) {
        ctx.channel().attr(STREAMER).set(null);
        ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
        return;
      }
      ctx.flush(); // resumed from channelWritabilityChanged
    }
  }

  private final class ByteCounter extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof ByteBuf buf) {
        bytesReceived.addAndGet(buf.readableBytes());
      }
      ctx.fireChannelRead(msg);
    }
  }

  private final class Recorder extends ChannelInboundHandlerAdapter {
    private final Behavior behavior;
    private HttpRequest head;
    private long bodyBytes;
    private final CRC32 crc = new CRC32();

    Recorder(Behavior behavior) {
      this.behavior = behavior;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof HttpRequest request) {
          head = request;
          bodyBytes = 0;
          crc.reset();
          if (HttpUtil.is100ContinueExpected(request)) {
            ctx.writeAndFlush(
                new DefaultFullHttpResponse(
                    HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE, Unpooled.EMPTY_BUFFER));
          }
        }
        if (msg instanceof HttpContent content) {
          ByteBuf buf = content.content();
          bodyBytes += buf.readableBytes();
          crc.update(buf.nioBuffer());
          if (content instanceof LastHttpContent) {
            Received r =
                new Received(
                    head.method().name(),
                    head.uri(),
                    head.headers().copy(),
                    bodyBytes,
                    crc.getValue());
            received.add(r);
            behavior.respond(ctx, r);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
      Streamer streamer = ctx.channel().attr(STREAMER).get();
      if (streamer != null && ctx.channel().isWritable()) {
        streamer.run();
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
