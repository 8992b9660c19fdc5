package io.canaryproxy.bench;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
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

/** Picks native epoll when it is available and falls back to NIO, for both the client and the stub backend. */
public final class Transports {
  private Transports() {}

  /** True when the native epoll transport loaded on this machine. */
  public static boolean epoll() {
    return Epoll.isAvailable();
  }

  /** A new event-loop group of {@code threads} threads named {@code name-N}. */
  public static EventLoopGroup group(int threads, String name) {
    DefaultThreadFactory factory = new DefaultThreadFactory(name, true);
    return new MultiThreadIoEventLoopGroup(
        threads, factory, epoll() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory());
  }

  /** The client socket channel class matching {@link #group}. */
  public static Class<? extends SocketChannel> socketChannel() {
    return epoll() ? EpollSocketChannel.class : NioSocketChannel.class;
  }

  /** The server socket channel class matching {@link #group}. */
  public static Class<? extends ServerSocketChannel> serverChannel() {
    return epoll() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
  }

  /** {@code epoll} or {@code nio}, for reports. */
  public static String name() {
    return epoll() ? "epoll" : "nio";
  }
}
