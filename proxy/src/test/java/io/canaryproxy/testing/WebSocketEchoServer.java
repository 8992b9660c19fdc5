package io.canaryproxy.testing;

import io.canaryproxy.pool.Transports;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real WebSocket server on a loopback port, built on Netty's own {@link
 * WebSocketServerProtocolHandler} at path {@code /ws}: it answers each text message with {@code
 * NAME:text}, echoes binary messages, and records each handshake's request headers. Other paths get
 * a plain {@code 200 NAME}.
 */
public final class WebSocketEchoServer implements AutoCloseable {
  private final EventLoopGroup group = Transports.newGroup(1, "ws-echo");
  private final String name;
  private final Channel channel;
  private final List<HttpHeaders> handshakes = new CopyOnWriteArrayList<>();
  private final AtomicInteger open = new AtomicInteger();

  private WebSocketEchoServer(String name, SslContext tls) throws InterruptedException {
    this.name = name;
    this.channel =
        new ServerBootstrap()
            .group(group)
            .channel(Transports.serverChannel())
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    open.incrementAndGet();
                    ch.closeFuture().addListener(f -> open.decrementAndGet());
                    if (tls != null) {
                      ch.pipeline().addLast(tls.newHandler(ch.alloc()));
                    }
                    ch.pipeline().addLast(new HttpServerCodec());
                    ch.pipeline().addLast(new HttpObjectAggregator(64 * 1024));
                    ch.pipeline().addLast(new WebSocketServerProtocolHandler("/ws"));
                    ch.pipeline().addLast(new Frames());
                    ch.pipeline().addLast(new PlainHttp());
                  }
                })
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
  }

  public static WebSocketEchoServer start(String name) throws InterruptedException {
    return new WebSocketEchoServer(name, null);
  }

  public String endpoint() {
    return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
  }

  /** The request headers of every completed handshake, in order. */
  public List<HttpHeaders> handshakes() {
    return handshakes;
  }

  /** Connections open now. */
  public int openConnections() {
    return open.get();
  }

  private final class Frames extends SimpleChannelInboundHandler<WebSocketFrame> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
      if (frame instanceof TextWebSocketFrame text) {
        ctx.writeAndFlush(new TextWebSocketFrame(name + ":" + text.text()));
      } else if (frame instanceof BinaryWebSocketFrame binary) {
        ctx.writeAndFlush(new BinaryWebSocketFrame(binary.content().retain()));
      }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof WebSocketServerProtocolHandler.HandshakeComplete done) {
        handshakes.add(done.requestHeaders());
      }
      ctx.fireUserEventTriggered(evt);
    }
  }

  private final class PlainHttp extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      ByteBuf body = Unpooled.copiedBuffer(name + "\n", StandardCharsets.UTF_8);
      FullHttpResponse response =
          new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK, body);
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      ctx.writeAndFlush(response)
          .addListener(
              request.headers().contains(HttpHeaderNames.CONNECTION, "close", true)
                  ? ChannelFutureListener.CLOSE
                  : ChannelFutureListener.CLOSE_ON_FAILURE);
    }
  }

  @Override
  public void close() {
    channel.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }
}
