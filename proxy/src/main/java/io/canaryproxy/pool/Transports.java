package io.canaryproxy.pool;

import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.RecvByteBufAllocator;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;

/**
 * Picks native epoll when it is available and falls back to NIO; every bootstrap asks here for its
 * classes.
 */
public final class Transports {
  private static final boolean EPOLL =
      Epoll.isAvailable() && !Boolean.getBoolean("canaryproxy.noEpoll");

  /**
   * How much each socket read asks for: Netty's adaptive guess (2 KiB to start, up to 64 KiB), but
   * never below 1 KiB, as nginx reads a request head into a 1 KiB buffer first. Below that the
   * guess follows short messages down (to 64 bytes for a short GET), and a message that fills it
   * exactly costs a second read that finds nothing (EAGAIN): 0.12 reads more per request in the
   * split benchmark. Stateless: each channel makes its own guess from it.
   */
  public static final RecvByteBufAllocator READ_SIZES =
      new AdaptiveRecvByteBufAllocator(1024, 2048, 65536);

  private Transports() {}

  /** True when the native epoll transport is used. */
  public static boolean epoll() {
    return EPOLL;
  }

  /** A new event-loop group of {@code threads} threads named {@code name-N}. */
  public static EventLoopGroup newGroup(int threads, String name) {
    IoHandlerFactory factory = EPOLL ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
  }

  public static Class<? extends ServerSocketChannel> serverChannel() {
    return EPOLL ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  public static Class<? extends SocketChannel> clientChannel() {
    return EPOLL ? EpollSocketChannel.class : NioSocketChannel.class;
  }
}
