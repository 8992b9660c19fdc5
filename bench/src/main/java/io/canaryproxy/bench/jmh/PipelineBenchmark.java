/*
 * Cost of one proxied request through the whole proxy pipeline, without sockets: the client side is an
 * EmbeddedChannel built by ProxyChannelInitializer (in-place request decoder, encoder, the HTTP/1 adapter and its Forwarder) and the backend connections are
 * EmbeddedChannels built by the same initializer's backend pipeline (BackendCodec, the HTTP/1 adapter, idle handler, pooled
 * PooledConnection). One operation = request bytes in from the client, request bytes out to the backend, response
 * bytes in from the backend, response bytes out to the client, with the real routing (sticky split on x-user-id) and
 * the real metrics listeners (LatencyRecorders, Micrometer).
 *
 * Run (after `mvn -B -o install -DskipTests`):
 *   java -jar bench/target/canary-bench.jar jmh -prof gc PipelineBenchmark
 * Read ns/op in the score column and B/op in gc.alloc.rate.norm.
 */
package io.canaryproxy.bench.jmh;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.discovery.EndpointDirectory;
import io.canaryproxy.forwarding.CompositeListener;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.metrics.LatencyRecorders;
import io.canaryproxy.metrics.MicrometerBinding;
import io.canaryproxy.routing.Router;
import io.canaryproxy.routing.RoutingTable;
import io.canaryproxy.server.ProxyChannelInitializer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One keep-alive GET through the proxy pipeline: request in, backend write, backend response in,
 * client write.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-XX:+UseParallelGC"})
public class PipelineBenchmark {
  private static final String CONFIG =
      String.join(
          "\n",
          "listen: 127.0.0.1:0",
          "ioThreads: 1",
          "admin:",
          "  listen: 127.0.0.1:0",
          "backends:",
          "  stable: { endpoints: [\"127.0.0.1:18001\"] }",
          "  canary: { endpoints: [\"127.0.0.1:18002\"] }",
          "routing:",
          "  userKey:",
          "    - header: x-user-id",
          "  canaryPercent: 10",
          "  salt: \"bench-salt\"",
          "  override:",
          "    header: x-canary",
          "    trustedCidrs: [\"127.0.0.1/32\"]",
          "");
  private static final int USERS = 1024;

  /** What nginx answers in bench/peers/backend.conf. */
  private static final byte[] RESPONSE =
      ("HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Thu, 26 Nov 2026 21:00:00 GMT\r\n"
              + "Content-Type: application/octet-stream\r\nContent-Length: 7\r\nConnection: keep-alive\r\n\r\nstable\n")
          .getBytes(StandardCharsets.US_ASCII);

  /** "HTTP/1.1 200 OK\r\n", "Content-Length: 7\r\n\r\n" and the body, at least. */
  private static final int MIN_ANSWER_BYTES = 17 + 21 + 7;

  private final List<EmbeddedChannel> backends = new ArrayList<>();
  private final byte[][] requests = new byte[USERS][];
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private EmbeddedChannel client;
  private int next;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    ProxyConfig config = ConfigLoader.parse(CONFIG);
    Router router = new Router(RoutingTable.compile(config.routing()));
    LatencyRecorders recorders = new LatencyRecorders(config.metrics());
    MicrometerBinding metrics =
        new MicrometerBinding(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT), false);
    ProxyChannelInitializer initializer =
        new ProxyChannelInitializer(config.limits(), config.timeouts());
    ForwardingContext forwarding =
        new ForwardingContext(
            router,
            config.backends(),
            new EndpointDirectory(config.dns()), // literal endpoints only: no resolver thread
            config.timeouts(),
            new CompositeListener(List.of(recorders, metrics)),
            null,
            initializer);
    forwarding.setBackendChannelFactory(
        () -> {
          EmbeddedChannel backend =
              new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
          backends.add(backend);
          return backend;
        });
    initializer.setForwarding(forwarding);
    client = new EmbeddedChannel();
    forwarding.initPools(client.eventLoop());
    client.pipeline().addLast(initializer);
    client.pipeline().fireChannelActive();
    for (int i = 0; i < USERS; i++) {
      requests[i] =
          ("GET /api/items?id="
                  + i
                  + " HTTP/1.1\r\nHost: shop.example\r\nUser-Agent: wrk\r\nAccept: */*\r\n"
                  + "x-user-id: user-"
                  + (i * 7919)
                  + "\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII);
    }
    check();
  }

  /** Sends every user's request once and fails unless each was answered. */
  private void check() {
    for (int i = 0; i < USERS; i++) {
      if (proxyOneRequest() < MIN_ANSWER_BYTES) {
        throw new IllegalStateException("the proxy pipeline did not answer request " + i);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    client.finishAndReleaseAll();
    for (EmbeddedChannel backend : backends) {
      backend.finishAndReleaseAll();
    }
  }

  /** Returns the response bytes the client received, so that nothing is dead code. */
  @Benchmark
  public int proxyOneRequest() {
    byte[] request = requests[next++ & (USERS - 1)];
    client.writeInbound(alloc.directBuffer(request.length).writeBytes(request));
    EmbeddedChannel target = null;
    for (EmbeddedChannel backend : backends) {
      ByteBuf out;
      while ((out = backend.readOutbound()) != null) {
        target = backend;
        out.release();
      }
    }
    if (target == null) {
      throw new IllegalStateException("no request reached a backend");
    }
    target.writeInbound(alloc.directBuffer(RESPONSE.length).writeBytes(RESPONSE));
    // The backend channels live on the client's event loop; its pending tasks run here.
    client.runPendingTasks();
    int bytes = 0;
    ByteBuf out;
    while ((out = client.readOutbound()) != null) {
      bytes += out.readableBytes();
      out.release();
    }
    return bytes;
  }
}
