package io.canaryproxy.pool;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A connection whose socket cannot even be made (the process is out of file descriptors: {@code
 * socket()} fails with EMFILE) must fail its connect future, on the pool's loop, so that the
 * request waiting for it gets a 502 at once. It used to stay pending: the failure could not be
 * delivered.
 */
class EndpointPoolTest {
  private final EventLoopGroup group = Transports.newGroup(1, "pool-test");

  @AfterEach
  void stop() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Test
  void aSocketThatCannotBeCreatedFailsTheConnectOnThePoolsLoopAndFreesTheSlot() throws Exception {
    EventLoop loop = group.next();
    AtomicInteger opened = new AtomicInteger();
    ChannelFactory<Channel> noSockets =
        () -> {
          throw new ChannelException("Too many open files");
        };
    Connector connector =
        new Connector(loop, noSockets, 1000, (p, h) -> p.addLast(h), opened::addAndGet, "backend");
    EndpointPool pool = connector.newPool(new InetSocketAddress("127.0.0.1", 9), 1);

    CompletableFuture<Throwable> cause = new CompletableFuture<>();
    CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
    loop.execute(
        () -> {
          ChannelFuture f = pool.connect();
          f.addListener(
              done -> {
                onLoop.complete(loop.inEventLoop());
                cause.complete(done.cause());
              });
        });

    assertThat(cause.get(10, TimeUnit.SECONDS))
        .isInstanceOf(ChannelException.class)
        .hasMessageContaining("Too many open files");
    assertThat(onLoop.get()).as("completed on the pool's own loop").isTrue();
    CompletableFuture<Boolean> canOpen = new CompletableFuture<>();
    loop.execute(() -> canOpen.complete(pool.canOpen()));
    assertThat(canOpen.get(10, TimeUnit.SECONDS))
        .as("the failed attempt gave its slot back")
        .isTrue();
    assertThat(opened.get()).isZero();
  }
}
