package io.canaryproxy.pool;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.BackendConfig;
import io.canaryproxy.config.DnsConfig;
import io.canaryproxy.config.HostPort;
import io.canaryproxy.discovery.AddressResolver;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.discovery.Resolution;
import io.canaryproxy.testing.RawBackend;
import io.netty.channel.ChannelFuture;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pool sets over real loopback sockets and a real {@link EndpointDirectory}; only the name server
 * is replaced, by a resolver whose answer the test sets.
 */
class PoolSetIT {
  private final EventLoopGroup group = Transports.newGroup(2, "pool-test");
  private final List<AutoCloseable> closeables = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : closeables) {
      c.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** Answers every name with the addresses last set, valid for 0 s (asked again after minTtl). */
  private static final class SettableResolver implements AddressResolver {
    final AtomicReference<List<InetAddress>> answer = new AtomicReference<>();

    @Override
    public CompletableFuture<Resolution> resolve(String host) {
      return CompletableFuture.completedFuture(new Resolution(answer.get(), 0));
    }

    @Override
    public void close() {}
  }

  private EndpointDirectory directory(AddressResolver resolver) {
    EndpointDirectory d =
        new EndpointDirectory(
            new DnsConfig(
                Duration.ofMillis(100),
                Duration.ofSeconds(1),
                DnsConfig.Family.V4_PREFERRED,
                List.of(),
                Duration.ofMillis(500)),
            () -> resolver);
    closeables.add(d);
    return d;
  }

  private static PoolSet poolSet(
      String owner, EndpointDirectory directory, AtomicInteger open, BackendPool.Spread spread) {
    return new PoolSet(
        owner,
        directory,
        spread,
        loop ->
            new Connector(
                loop,
                new ReflectiveChannelFactory<>(Transports.clientChannel()),
                2000,
                (pipeline, last) -> pipeline.addLast(last),
                open::addAndGet,
                owner));
  }

  /** Runs {@code task} on {@code loop} and returns its result. */
  private static <T> T on(EventLoop loop, java.util.concurrent.Callable<T> task) throws Exception {
    return loop.submit(task).get(5, TimeUnit.SECONDS);
  }

  /** Opens a connection from {@code pool} on its loop and returns it to the pool, idle. */
  private static void openIdle(EventLoop loop, EndpointPool pool) throws Exception {
    ChannelFuture f = on(loop, pool::connect);
    f.sync();
    on(
        loop,
        () -> {
          f.channel().pipeline().get(PooledConnection.class).release();
          return null;
        });
  }

  @Test
  void aDnsChangeReachesEveryLoopAndClosesIdleConnectionsWithoutARequest() throws Exception {
    RawBackend pod = RawBackend.echoingTargets();
    closeables.add(pod);
    int port = Integer.parseInt(pod.endpoint().substring(pod.endpoint().lastIndexOf(':') + 1));
    SettableResolver resolver = new SettableResolver();
    resolver.answer.set(List.of(InetAddress.getByName("127.0.0.1")));
    PoolSet shadow =
        poolSet("mirror", directory(resolver), new AtomicInteger(), BackendPool.Spread.IN_TURN);
    shadow.start(
        group,
        Map.of("shadow", new BackendConfig(List.of(new HostPort("shadow.example.test", port)), 4)));
    List<EventLoop> loops = new ArrayList<>();
    group.forEach(e -> loops.add((EventLoop) e));
    for (EventLoop loop : loops) {
      // start() waits for the first answer only so long (4 query timeouts); on a loaded machine it
      // may come later, and the pools take it when it does.
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> on(loop, () -> shadow.forLoop(loop).lookup("shadow").pick()) != null);
      EndpointPool first = on(loop, () -> shadow.forLoop(loop).lookup("shadow").pick());
      assertThat(first.address()).isEqualTo(new InetSocketAddress("127.0.0.1", port));
      openIdle(loop, first);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> pod.openConnections() == loops.size());

    resolver.answer.set(List.of(InetAddress.getByName("127.0.0.2"))); // the pod moved

    // Nobody asks the pools for an endpoint: they follow the directory on their own.
    await().atMost(Duration.ofSeconds(10)).until(() -> pod.openConnections() == 0);
    for (EventLoop loop : loops) {
      assertThat(on(loop, () -> shadow.forLoop(loop).lookup("shadow").pick().address()))
          .isEqualTo(new InetSocketAddress("127.0.0.2", port));
    }
  }

  @Test
  void anAnswerThatComesWhileThePoolsAreMadeReachesEveryLoop() throws Exception {
    InetAddress pod = InetAddress.getByName("127.0.0.1");
    // The first query waits for the test; every later one answers the same at once (no change).
    CompletableFuture<Resolution> firstAnswer = new CompletableFuture<>();
    AtomicInteger queries = new AtomicInteger();
    AddressResolver slow =
        new AddressResolver() {
          @Override
          public CompletableFuture<Resolution> resolve(String host) {
            return queries.getAndIncrement() == 0
                ? firstAnswer
                : CompletableFuture.completedFuture(new Resolution(List.of(pod), 0));
          }

          @Override
          public void close() {}
        };
    EndpointDirectory directory = directory(slow);
    HostPort name = new HostPort("shadow.example.test", 9);
    AtomicInteger loopsMade = new AtomicInteger();
    PoolSet shadow =
        new PoolSet(
            "mirror",
            directory,
            BackendPool.Spread.IN_TURN,
            loop -> {
              if (loopsMade.incrementAndGet() == 2) {
                // start() stopped waiting for the first answer and made the first loop's pools
                // without an address; the answer comes now, before the second loop's are made.
                firstAnswer.complete(new Resolution(List.of(pod), 0));
                assertThat(directory.addresses(name)).isNotEmpty();
              }
              return new Connector(
                  loop,
                  new ReflectiveChannelFactory<>(Transports.clientChannel()),
                  2000,
                  (pipeline, last) -> pipeline.addLast(last),
                  n -> {},
                  "mirror");
            });

    shadow.start(group, Map.of("shadow", new BackendConfig(List.of(name), 4)));

    assertThat(loopsMade).hasValue(2);
    List<EventLoop> loops = new ArrayList<>();
    group.forEach(e -> loops.add((EventLoop) e));
    for (EventLoop loop : loops) {
      await()
          .atMost(Duration.ofSeconds(10))
          .alias("the pools of every loop have the address")
          .until(() -> on(loop, () -> shadow.forLoop(loop).lookup("shadow").pick()) != null);
      assertThat(on(loop, () -> shadow.forLoop(loop).lookup("shadow").pick().address()))
          .isEqualTo(new InetSocketAddress(pod, 9));
    }
  }

  @Test
  void twoSetsOverOneBackendKeepTheirOwnLimitsAndConnections() throws Exception {
    RawBackend backend = RawBackend.echoingTargets();
    closeables.add(backend);
    EndpointDirectory directory = directory(new SettableResolver()); // literals: never asked
    Map<String, BackendConfig> backends =
        Map.of("app", new BackendConfig(List.of(HostPort.parse(backend.endpoint())), 1));
    AtomicInteger forwarderOpen = new AtomicInteger();
    AtomicInteger shadowOpen = new AtomicInteger();
    PoolSet forwarder =
        poolSet("backends", directory, forwarderOpen, BackendPool.Spread.LEAST_LOADED_OF_TWO);
    PoolSet shadow = poolSet("mirror", directory, shadowOpen, BackendPool.Spread.IN_TURN);
    forwarder.start(group, backends);
    shadow.start(group, backends);
    EventLoop loop = group.next();

    EndpointPool primary = on(loop, () -> forwarder.forLoop(loop).lookup("app").pick());
    on(loop, primary::connect).sync();
    EndpointPool copy = on(loop, () -> shadow.forLoop(loop).lookup("app").pick());

    // The forwarder is at its limit of one; the shadow's pool for the same address is not.
    assertThat(on(loop, primary::canOpen)).isFalse();
    assertThat(copy).isNotSameAs(primary);
    assertThat(on(loop, copy::canOpen)).isTrue();
    on(loop, copy::connect).sync();
    await().atMost(Duration.ofSeconds(5)).until(() -> backend.openConnections() == 2);
    assertThat(forwarderOpen).hasValue(1);
    assertThat(shadowOpen).hasValue(1);
  }
}
