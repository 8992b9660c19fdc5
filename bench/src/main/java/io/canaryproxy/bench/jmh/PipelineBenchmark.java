/*
 * Cost of one proxied request through the whole proxy pipeline, without sockets: the client side is an
 * EmbeddedChannel built by ProxyChannelInitializer (in-place request decoder, encoder, the HTTP/1 adapter and its Forwarder) and the backend connections are
 * EmbeddedChannels built by the same initializer's backend pipeline (idle handler, BackendCodec with the HTTP/1 adapter, pooled
 * PooledConnection). One operation = request bytes in from the client, request bytes out to the backend, response
 * bytes in from the backend, response bytes out to the client, with the real routing (sticky split on x-user-id) and
 * the real metrics listeners (LatencyRecorders, Micrometer).
 *
 * As on the live path: every channel allocates from PooledByteBufAllocator.DEFAULT (ProxyServer and the pool's
 * Connector set it), reads arrive as channelRead + channelReadComplete, and the pipelines run on a
 * FastThreadLocalThread, as the proxy's event loops do. Netty 4.2 recycles its pooled-buffer wrappers, slices and
 * write entries only on such threads (Recycler.get hands any other thread a new object each time), so the same
 * pipeline driven from JMH's own thread allocates ~600 B per request that the proxy never does. JMH's thread hands
 * the loop thread a batch of BATCH requests and waits (park/unpark, no allocation): a score is per request.
 *
 * Run (after `./mvnw -B -o package -DskipTests`):
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
import io.netty.util.concurrent.FastThreadLocalThread;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
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

  /** Requests one JMH invocation hands the loop thread. */
  static final int BATCH = 2048;

  private final List<EmbeddedChannel> backends = new ArrayList<>();
  private final byte[][] requests = new byte[USERS][];
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final LoopThread loop = new LoopThread();
  private final Runnable batch = this::proxyBatch;
  private EmbeddedChannel client;
  private int next;

  /** Response bytes the client received in the last batch (read by JMH's thread). */
  private int batchBytes;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    loop.start();
    loop.runAndWait(this::setUpOnLoop);
  }

  private void setUpOnLoop() {
    ProxyConfig config;
    try {
      config = ConfigLoader.parse(CONFIG);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
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
    client.config().setAllocator(PooledByteBufAllocator.DEFAULT); // as ProxyServer's children
    try {
      forwarding.initPools(client.eventLoop());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
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
      if (proxyOneRequestOnLoop() < MIN_ANSWER_BYTES) {
        throw new IllegalStateException("the proxy pipeline did not answer request " + i);
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.runAndWait(
        () -> {
          client.finishAndReleaseAll();
          for (EmbeddedChannel backend : backends) {
            backend.finishAndReleaseAll();
          }
        });
    loop.stop();
  }

  /** Proxies {@link #BATCH} requests on the loop thread; returns the response bytes received. */
  @Benchmark
  @OperationsPerInvocation(BATCH)
  public int proxyOneRequest() {
    loop.runAndWait(batch);
    return batchBytes;
  }

  private void proxyBatch() {
    int bytes = 0;
    for (int i = 0; i < BATCH; i++) {
      bytes += proxyOneRequestOnLoop();
    }
    batchBytes = bytes;
  }

  /** One request through the pipeline; returns the response bytes the client received. */
  private int proxyOneRequestOnLoop() {
    byte[] request = requests[next++ & (USERS - 1)];
    read(client, alloc.directBuffer(request.length).writeBytes(request));
    EmbeddedChannel target = null;
    for (int i = 0; i < backends.size(); i++) {
      EmbeddedChannel backend = backends.get(i);
      ByteBuf out;
      while ((out = backend.readOutbound()) != null) {
        target = backend;
        out.release();
      }
    }
    if (target == null) {
      throw new IllegalStateException("no request reached a backend");
    }
    read(target, alloc.directBuffer(RESPONSE.length).writeBytes(RESPONSE));
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

  /** One socket read as an event loop delivers it: the bytes, then the end of the read. */
  private static void read(EmbeddedChannel ch, ByteBuf bytes) {
    ch.pipeline().fireChannelRead(bytes);
    ch.pipeline().fireChannelReadComplete();
    ch.runPendingTasks();
    ch.checkException();
  }

  /**
   * The thread the pipelines run on: a {@link FastThreadLocalThread}, as the proxy's event loops
   * are. {@link #runAndWait} hands it one job and parks until the job is done; neither side
   * allocates. Http2PipelineBenchmark drives its pipelines on one too.
   */
  static final class LoopThread implements Runnable {
    private final FastThreadLocalThread thread = new FastThreadLocalThread(this, "pipeline-loop");
    private volatile Runnable job;
    private volatile Thread caller;
    private volatile Throwable failure;
    private volatile int asked;
    private volatile int done;
    private volatile boolean stopped;

    void start() {
      thread.setDaemon(true);
      thread.start();
    }

    void stop() {
      stopped = true;
      LockSupport.unpark(thread);
    }

    /** Runs {@code j} on the loop thread and returns once it ran; rethrows what it threw. */
    void runAndWait(Runnable j) {
      job = j;
      caller = Thread.currentThread();
      int target = asked + 1;
      asked = target;
      LockSupport.unpark(thread);
      while (done != target) {
        LockSupport.park(this);
      }
      Throwable t = failure;
      if (t != null) {
        failure = null;
        throw new IllegalStateException("the pipeline failed on the loop thread", t);
      }
    }

    @Override
    public void run() {
      int seen = 0;
      while (!stopped) {
        if (asked == seen) {
          LockSupport.park(this);
          continue;
        }
        seen++;
        try {
          job.run();
        } catch (Throwable t) {
          failure = t;
        }
        done = seen;
        LockSupport.unpark(caller);
      }
    }
  }
}
