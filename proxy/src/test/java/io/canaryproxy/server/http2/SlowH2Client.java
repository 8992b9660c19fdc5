package io.canaryproxy.server.http2;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrame;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A raw HTTP/2 client (Netty's frame codec, cleartext with prior knowledge) with a small window
 * whose one stream is read only when the test says so: the stream channel does not auto-read, and
 * Netty gives a stream's window back only as its frames are read, so an unread stream stops its
 * sender after one window. {@link #readAll()} then reads the rest as fast as it comes.
 */
final class SlowH2Client implements AutoCloseable {
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final Channel connection;

  /**
   * @param windowBytes the stream and connection windows this client grants
   */
  SlowH2Client(int port, int windowBytes) throws InterruptedException {
    Http2Settings settings = Http2Settings.defaultSettings().initialWindowSize(windowBytes);
    connection =
        new Bootstrap()
            .group(group)
            .channel(NioSocketChannel.class)
            .option(ChannelOption.SO_RCVBUF, 64 * 1024)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            Http2FrameCodecBuilder.forClient().initialSettings(settings).build())
                        .addLast(
                            new Http2MultiplexHandler(
                                new SimpleChannelInboundHandler<>() {
                                  @Override
                                  protected void channelRead0(
                                      ChannelHandlerContext ctx, Object msg) {}
                                }));
                  }
                })
            .connect("127.0.0.1", port)
            .sync()
            .channel();
  }

  /**
   * Opens a stream and sends {@code headers}, and {@code body} if not null; {@code endStream} false
   * leaves the request open after them. Nothing is read.
   */
  Stream open(Http2Headers headers, byte[] body, boolean endStream) throws InterruptedException {
    Stream st = new Stream();
    st.channel =
        new Http2StreamChannelBootstrap(connection)
            .option(ChannelOption.AUTO_READ, false)
            .handler(st.new Reader())
            .open()
            .sync()
            .getNow();
    st.channel.write(new DefaultHttp2HeadersFrame(headers, body == null && endStream));
    if (body != null) {
      st.channel.write(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(body), endStream));
    }
    st.channel.flush();
    return st;
  }

  /** {@link #open} of a whole request. */
  Stream send(Http2Headers headers, byte[] body) throws InterruptedException {
    return open(headers, body, true);
  }

  /** A GET of {@code path} on {@code authority}. */
  static Http2Headers get(String path) {
    return new DefaultHttp2Headers()
        .method("GET")
        .scheme("http")
        .authority("test.local")
        .path(path);
  }

  @Override
  public void close() throws InterruptedException {
    connection.close().sync();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).sync();
  }

  /** One stream of the connection, read only when the test says so. */
  static final class Stream {
    private Http2StreamChannel channel;

    /** DATA bytes read so far. */
    final AtomicLong bodyBytes = new AtomicLong();

    /** The response head's {@code :status}, once read. */
    final AtomicReference<String> status = new AtomicReference<>();

    /** Trailers, once read. */
    final AtomicReference<Http2Headers> trailers = new AtomicReference<>();

    /** True once the stream ended (END_STREAM read). */
    final AtomicBoolean ended = new AtomicBoolean();

    /** The error code of the RST_STREAM the proxy sent, if any. */
    final AtomicReference<Long> reset = new AtomicReference<>();

    final CopyOnWriteArrayList<Http2Headers> heads = new CopyOnWriteArrayList<>();

    /** Reads one frame of the stream (one read gives back the window of the frame before it). */
    void readOne() {
      channel.eventLoop().execute(channel::read);
    }

    /** Reads everything from now on. */
    void readAll() {
      channel.eventLoop().execute(() -> channel.config().setAutoRead(true));
    }

    /** True once the stream channel closed (its queued frames are then released). */
    boolean closed() {
      return channel != null && !channel.isActive();
    }

    private final class Reader extends SimpleChannelInboundHandler<Http2StreamFrame> {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, Http2StreamFrame frame) {
        if (frame instanceof Http2HeadersFrame h) {
          if (status.get() == null) {
            status.set(h.headers().status().toString());
          } else {
            trailers.set(h.headers());
          }
          heads.add(h.headers());
          if (h.isEndStream()) {
            ended.set(true);
          }
        } else if (frame instanceof Http2DataFrame d) {
          bodyBytes.addAndGet(d.content().readableBytes());
          if (d.isEndStream()) {
            ended.set(true);
          }
        }
      }

      @Override
      public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        // RST_STREAM is not flow-controlled: the multiplexer hands it over as an event, unread.
        if (evt instanceof Http2ResetFrame r) {
          reset.set(r.errorCode());
        }
        ctx.fireUserEventTriggered(evt);
      }
    }
  }
}
