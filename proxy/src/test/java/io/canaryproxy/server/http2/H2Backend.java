package io.canaryproxy.server.http2;

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
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2GoAwayFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2ResetFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A cleartext HTTP/2 (h2c, prior knowledge) backend built on Netty's server codec, whose misdeeds a
 * test switches on: a low {@code SETTINGS_MAX_CONCURRENT_STREAMS}, answers held until released, a
 * GOAWAY sent on its first connection before any stream, the first stream refused with
 * RST_STREAM(REFUSED_STREAM). Each answer is {@code 200}, body {@code h2 METHOD PATH BODYBYTES},
 * ended by the trailer {@code x-checksum: ok}.
 */
final class H2Backend implements AutoCloseable {
  private final EventLoopGroup group = Transports.newGroup(1, "h2stub");
  private final Channel server;
  private final int maxConcurrentStreams;
  private final boolean goAwayOnFirstConnection;
  private final boolean refuseFirstStream;
  private final boolean hold;

  final AtomicInteger connections = new AtomicInteger();
  final AtomicInteger streams = new AtomicInteger();

  /** The HEADERS of every request received, in order. */
  final List<Http2Headers> requests = new CopyOnWriteArrayList<>();

  private final Queue<Runnable> held = new ConcurrentLinkedQueue<>();
  final AtomicInteger heldCount = new AtomicInteger();

  private H2Backend(
      int maxConcurrentStreams,
      boolean goAwayOnFirstConnection,
      boolean refuseFirstStream,
      boolean hold)
      throws InterruptedException {
    this.maxConcurrentStreams = maxConcurrentStreams;
    this.goAwayOnFirstConnection = goAwayOnFirstConnection;
    this.refuseFirstStream = refuseFirstStream;
    this.hold = hold;
    server =
        new ServerBootstrap()
            .group(group)
            .channel(Transports.serverChannel())
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    int n = connections.incrementAndGet();
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forServer()
                                .initialSettings(
                                    Http2Settings.defaultSettings()
                                        .maxConcurrentStreams(H2Backend.this.maxConcurrentStreams))
                                .build());
                    ch.pipeline()
                        .addLast(
                            new Http2MultiplexHandler(
                                new ChannelInitializer<Channel>() {
                                  @Override
                                  protected void initChannel(Channel stream) {
                                    stream.pipeline().addLast(new StreamHandler());
                                  }
                                }));
                    if (n == 1 && goAwayOnFirstConnection) {
                      ch.pipeline().addLast(new GoAwayAtStart());
                    }
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
  }

  static H2Backend plain() throws InterruptedException {
    return new H2Backend(100, false, false, false);
  }

  /**
   * Allows {@code maxConcurrentStreams} streams per connection and holds every answer until {@link
   * #releaseAll}.
   */
  static H2Backend held(int maxConcurrentStreams) throws InterruptedException {
    return new H2Backend(maxConcurrentStreams, false, false, true);
  }

  static H2Backend goAwayOnFirstConnection() throws InterruptedException {
    return new H2Backend(100, true, false, false);
  }

  static H2Backend refusingFirstStream() throws InterruptedException {
    return new H2Backend(100, false, true, false);
  }

  String endpoint() {
    return "127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort();
  }

  /** Sends every held answer. */
  void releaseAll() {
    Runnable r;
    while ((r = held.poll()) != null) {
      group.execute(r);
    }
  }

  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Sends GOAWAY(NO_ERROR, last stream 0) right after the connection preface: no stream served. */
  private static final class GoAwayAtStart extends ChannelInboundHandlerAdapter {
    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      ctx.fireChannelActive();
      ctx.writeAndFlush(new DefaultHttp2GoAwayFrame(Http2Error.NO_ERROR));
    }
  }

  private final class StreamHandler extends ChannelInboundHandlerAdapter {
    private Http2Headers head;
    private long bodyBytes;

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof Http2HeadersFrame h) {
          if (head == null) {
            head = h.headers();
            requests.add(head);
            if (streams.incrementAndGet() == 1 && refuseFirstStream) {
              ctx.writeAndFlush(new DefaultHttp2ResetFrame(Http2Error.REFUSED_STREAM));
              return;
            }
          }
          if (h.isEndStream()) {
            answer(ctx);
          }
        } else if (msg instanceof Http2DataFrame d) {
          bodyBytes += d.content().readableBytes();
          if (d.isEndStream()) {
            answer(ctx);
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void answer(ChannelHandlerContext ctx) {
      String text = "h2 " + head.method() + " " + head.path() + " " + bodyBytes;
      Runnable send =
          () -> {
            Http2Headers response = new DefaultHttp2Headers().status("200");
            response.set("content-type", "text/plain");
            response.set("x-backend", "h2");
            ctx.write(new DefaultHttp2HeadersFrame(response, false));
            ByteBuf body = Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
            ctx.write(new DefaultHttp2DataFrame(body, false));
            ctx.writeAndFlush(
                new DefaultHttp2HeadersFrame(
                    new DefaultHttp2Headers().set("x-checksum", "ok"), true));
          };
      if (hold) {
        held.add(send);
        heldCount.incrementAndGet();
      } else {
        send.run();
      }
    }
  }
}
