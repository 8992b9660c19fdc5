/*
 * Cost of one HTTP/2 request through the whole proxy pipeline, without sockets, as PipelineBenchmark measures
 * HTTP/1.1: the client side is an EmbeddedChannel built by ProxyChannelInitializer, which finds the HTTP/2 preface
 * and serves the connection with the HTTP/2 handlers (FlushConsolidationHandler, Http2ClientConnectionHandler), and
 * the backends ({@code protocol: h2c}) are EmbeddedChannels built by the same initializer's HTTP/2 backend pipeline
 * (flush consolidation, idle handler, Http2BackendConnectionHandler, the pool's MultiplexedConnection). One
 * operation = one request from an h2 client connection, routed (sticky split on x-user-id) to a stream on an h2c
 * backend connection, and its response back, with the real metrics listeners (LatencyRecorders, Micrometer):
 *   kind=get:  request HEADERS with END_STREAM (what h2load sends); response HEADERS + DATA "stable\n" (END_STREAM).
 *   kind=grpc: a gRPC unary call as grpc-java makes it: request HEADERS (POST, content-type application/grpc,
 *              te: trailers) + DATA (one 5-byte message, END_STREAM); response HEADERS + DATA (one message) +
 *              trailers HEADERS (grpc-status 0, END_STREAM).
 *   kind=post: the same frames as grpc, with content-type application/octet-stream: what the proxy does for gRPC
 *              beyond carrying a body and trailers is grpc minus post.
 *
 * The frames on both ends are written and read here as bytes, one request in flight at a time. Header blocks are
 * HPACK-encoded once at set-up by Netty's encoder, the first one of each side inserting its fields into the
 * dynamic table and every later one referring to them by index, so replaying them keeps the proxy's decoders in
 * step (":path" and "x-user-id", which vary, are never-indexed literals). The client and each backend open their
 * windows to 2^31-1 in their prefaces and send no WINDOW_UPDATE after (a benchmark run moves far less). As in
 * PipelineBenchmark, every channel allocates from PooledByteBufAllocator.DEFAULT and the pipelines run on a
 * FastThreadLocalThread, which JMH's thread hands a batch of BATCH requests: a score is per request, and B/op (gc.alloc.rate.norm) counts every thread, the harness's frame writing included (pooled
 * buffers only). The fork runs with Netty's leak detector off, as the proxy does unless told otherwise.
 *
 * Run (after `./mvnw -B -o package -DskipTests`):
 *   java -jar bench/target/canary-bench.jar jmh -prof gc Http2PipelineBenchmark
 * Read ns/op in the score column and B/op in gc.alloc.rate.norm.
 */
package io.canaryproxy.bench.jmh;

import static io.canaryproxy.bench.jmh.Http2Frames.ACK;
import static io.canaryproxy.bench.jmh.Http2Frames.DATA;
import static io.canaryproxy.bench.jmh.Http2Frames.END_HEADERS;
import static io.canaryproxy.bench.jmh.Http2Frames.END_STREAM;
import static io.canaryproxy.bench.jmh.Http2Frames.FRAME_HEADER_BYTES;
import static io.canaryproxy.bench.jmh.Http2Frames.HEADERS;
import static io.canaryproxy.bench.jmh.Http2Frames.PING;
import static io.canaryproxy.bench.jmh.Http2Frames.PREFACE;
import static io.canaryproxy.bench.jmh.Http2Frames.SETTINGS;
import static io.canaryproxy.bench.jmh.Http2Frames.WINDOW_UPDATE;
import static io.canaryproxy.bench.jmh.Http2Frames.frameHeader;

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
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
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
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One HTTP/2 request through the proxy pipeline: a GET, or a gRPC unary call (or a POST of the same
 * frames), in from the client, on a stream of an h2c backend connection, and its answer back.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 6, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    // Netty's leak detector off, as the running proxy has it (Main): its sampled records would
    // count in B/op.
    jvmArgsAppend = {
      "-Xms256m",
      "-Xmx256m",
      "-XX:+UseParallelGC",
      "-Dio.netty.leakDetection.level=disabled"
    })
public class Http2PipelineBenchmark {
  private static final String CONFIG =
      String.join(
          "\n",
          "listen: 127.0.0.1:0",
          "ioThreads: 1",
          "admin:",
          "  listen: 127.0.0.1:0",
          "backends:",
          "  stable: { endpoints: [\"127.0.0.1:18001\"], protocol: h2c }",
          "  canary: { endpoints: [\"127.0.0.1:18002\"], protocol: h2c }",
          "routing:",
          "  userKey:",
          "    - header: x-user-id",
          "  canaryPercent: 10",
          "  salt: \"bench-salt\"",
          "");
  private static final int USERS = 1024;

  /** Requests one JMH invocation hands the loop thread. */
  static final int BATCH = 2048;

  /** The body nginx answers in bench/peers/backend.conf. */
  private static final byte[] BODY = "stable\n".getBytes(StandardCharsets.US_ASCII);

  /** One gRPC message, not compressed: "hello" (grpc_unary.sh's request). */
  private static final byte[] GRPC_REQUEST = {0, 0, 0, 0, 5, 'h', 'e', 'l', 'l', 'o'};

  /** The answer's message: "stable\n". */
  private static final byte[] GRPC_RESPONSE = {0, 0, 0, 0, 7, 's', 't', 'a', 'b', 'l', 'e', '\n'};

  /** {@code get}, {@code grpc} or {@code post} (see the header comment). */
  @Param({"get", "grpc", "post"})
  public String kind = "get";

  private final List<Backend> backends = new ArrayList<>();
  private final ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
  private final PipelineBenchmark.LoopThread loop = new PipelineBenchmark.LoopThread();
  private final Runnable batch = this::proxyBatch;

  /** The first request's header block (inserts the fixed fields), then one per user. */
  private byte[] firstRequest;

  private final byte[][] requests = new byte[USERS][];

  /** The request's body (gRPC and POST), or {@code null}. */
  private byte[] requestBody;

  /** The first response's header block (inserts its fields), then the one every later one uses. */
  private byte[] firstResponse;

  private byte[] response;

  /** The response's body, and its trailers' header block or {@code null}. */
  private byte[] responseBody;

  private byte[] trailers;

  private EmbeddedChannel client;
  private Http2Frames.Reader clientFrames;
  private int nextStream = 1;
  private int next;

  /** What the client received for the last request: bytes, and streams ended after the body. */
  private int answerBytes;

  private int answerEnds;

  /** Response bytes the client received in the last batch (read by JMH's thread). */
  private int batchBytes;

  /** Streams of the last batch answered with the backend's body (read by JMH's thread). */
  private int batchEnds;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    encodeHeaderBlocks();
    clientFrames = new Http2Frames.Reader(responseBody);
    loop.start();
    loop.runAndWait(this::setUpOnLoop);
  }

  private void encodeHeaderBlocks() throws Http2Exception {
    if (!kind.equals("get") && !kind.equals("grpc") && !kind.equals("post")) {
      throw new IllegalArgumentException("kind: " + kind + " (expected: get, grpc or post)");
    }
    boolean get = kind.equals("get");
    String contentType = kind.equals("grpc") ? "application/grpc" : "application/octet-stream";
    DefaultHttp2HeadersEncoder requestEncoder =
        new DefaultHttp2HeadersEncoder(
            (name, value) ->
                name.toString().equals(":path") || name.toString().equals("x-user-id"));
    firstRequest = encode(requestEncoder, request(0, contentType));
    for (int i = 0; i < USERS; i++) {
      requests[i] = encode(requestEncoder, request(i, contentType));
    }
    requestBody = get ? null : GRPC_REQUEST;
    DefaultHttp2HeadersEncoder responseEncoder = new DefaultHttp2HeadersEncoder();
    Http2Headers head =
        get
            ? new DefaultHttp2Headers()
                .status("200")
                .add("server", "nginx")
                .add("date", "Thu, 26 Nov 2026 21:00:00 GMT")
                .add("content-type", "application/octet-stream")
                .add("content-length", Integer.toString(BODY.length))
            : new DefaultHttp2Headers()
                .status("200")
                .add("content-type", contentType)
                .add("grpc-accept-encoding", "gzip");
    firstResponse = encode(responseEncoder, head);
    response = encode(responseEncoder, head);
    responseBody = get ? BODY : GRPC_RESPONSE;
    if (!get) {
      // a fresh encoder: never-indexed literals, valid whatever the table holds
      trailers =
          encode(
              new DefaultHttp2HeadersEncoder((name, value) -> true),
              new DefaultHttp2Headers().add("grpc-status", "0"));
    }
  }

  /** What h2load sends (get), or grpc-java (grpc, post), with a user key. */
  private Http2Headers request(int user, String contentType) {
    if (kind.equals("get")) {
      return new DefaultHttp2Headers()
          .method("GET")
          .scheme("http")
          .authority("shop.example")
          .path("/api/items?id=" + user)
          .add("user-agent", "h2load")
          .add("accept", "*/*")
          .add("x-user-id", "user-" + (user * 7919));
    }
    return new DefaultHttp2Headers()
        .method("POST")
        .scheme("http")
        .authority("shop.example")
        .path("/bench.Echo/Unary")
        .add("content-type", contentType)
        .add("te", "trailers")
        .add("user-agent", "grpc-java-netty/1.85.0")
        .add("grpc-accept-encoding", "gzip")
        .add("x-user-id", "user-" + (user * 7919));
  }

  private static byte[] encode(DefaultHttp2HeadersEncoder encoder, Http2Headers headers)
      throws Http2Exception {
    ByteBuf out = Unpooled.buffer();
    try {
      encoder.encodeHeaders(1, headers, out);
      return ByteBufUtil.getBytes(out);
    } finally {
      out.release();
    }
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
          EmbeddedChannel channel =
              new EmbeddedChannel(DefaultChannelId.newInstance(), false, false);
          backends.add(new Backend(channel));
          return channel;
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

    // The client's preface: its SETTINGS (stream windows 2^31-1) and the connection window opened
    // as far; then the acknowledgement of the proxy's SETTINGS, once they came.
    ByteBuf preface = alloc.directBuffer(64).writeBytes(PREFACE);
    frameHeader(preface, 6, SETTINGS, 0, 0).writeShort(0x4).writeInt(Integer.MAX_VALUE);
    frameHeader(preface, 4, WINDOW_UPDATE, 0, 0).writeInt(Integer.MAX_VALUE - 65_535);
    read(client, preface);
    client.runPendingTasks();
    drainClient();
    read(client, frameHeader(alloc.directBuffer(9), 0, SETTINGS, ACK, 0));
    drainClient();
    check();
  }

  /** Sends the first request, then every user's once, and fails unless each was answered. */
  private void check() {
    for (int i = -1; i < USERS; i++) {
      int stream = nextStream;
      proxyOneRequestOnLoop(i < 0 ? firstRequest : requests[i]);
      if (answerEnds != 1 || answerBytes < 2 * FRAME_HEADER_BYTES + responseBody.length) {
        throw new IllegalStateException(
            "the proxy pipeline did not answer request "
                + i
                + " on stream "
                + stream
                + " ("
                + answerBytes
                + " bytes, "
                + answerEnds
                + " ends)");
      }
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    loop.runAndWait(
        () -> {
          client.finishAndReleaseAll();
          clientFrames.release();
          for (Backend b : backends) {
            b.channel.finishAndReleaseAll();
            b.frames.release();
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
    int ends = 0;
    for (int i = 0; i < BATCH; i++) {
      proxyOneRequestOnLoop(requests[next++ & (USERS - 1)]);
      bytes += answerBytes;
      ends += answerEnds;
    }
    batchBytes = bytes;
    batchEnds = ends;
  }

  /** Streams of the last batch answered with the backend's body. */
  int lastBatchEnds() {
    return batchEnds;
  }

  /** One request through the pipelines; leaves what the client got in answerBytes/answerEnds. */
  private void proxyOneRequestOnLoop(byte[] block) {
    int stream = nextStream;
    nextStream += 2;
    byte[] body = requestBody;
    ByteBuf in;
    if (body == null) {
      in = alloc.directBuffer(FRAME_HEADER_BYTES + block.length);
      frameHeader(in, block.length, HEADERS, END_STREAM | END_HEADERS, stream).writeBytes(block);
    } else {
      // HEADERS and the message in one write, as grpc-java flushes them
      in = alloc.directBuffer(2 * FRAME_HEADER_BYTES + block.length + body.length);
      frameHeader(in, block.length, HEADERS, END_HEADERS, stream).writeBytes(block);
      frameHeader(in, body.length, DATA, END_STREAM, stream).writeBytes(body);
    }
    read(client, in);
    // Every backend answers what it got (its handshake on a new connection, then the request)
    // until none has anything left to answer.
    boolean answered;
    do {
      answered = false;
      for (int i = 0; i < backends.size(); i++) {
        answered |= backends.get(i).answer();
      }
    } while (answered);
    // The backend channels live on the client's event loop; its pending tasks run here.
    client.runPendingTasks();
    drainClient();
  }

  /**
   * Takes what the proxy wrote to the client: counts its bytes, and the streams that ended after a
   * DATA frame carrying the backend's body.
   */
  private void drainClient() {
    answerBytes = 0;
    answerEnds = 0;
    ByteBuf out;
    while ((out = client.readOutbound()) != null) {
      answerBytes += out.readableBytes();
      clientFrames.add(out);
    }
    boolean body = false;
    while (clientFrames.next()) {
      body |= clientFrames.bodyMatches;
      if ((clientFrames.type == DATA || clientFrames.type == HEADERS)
          && (clientFrames.flags & END_STREAM) != 0) {
        if (body) {
          answerEnds++;
        }
        body = false;
      }
    }
  }

  /** One backend connection: reads the proxy's frames and answers them as an h2c server does. */
  private final class Backend {
    final EmbeddedChannel channel;
    final Http2Frames.Reader frames = new Http2Frames.Reader(null);
    private boolean prefaceRead;
    private boolean firstAnswered;

    Backend(EmbeddedChannel channel) {
      this.channel = channel;
    }

    /** Answers every complete frame the proxy wrote; true when it wrote anything back. */
    boolean answer() {
      ByteBuf out;
      boolean any = false;
      while ((out = channel.readOutbound()) != null) {
        frames.add(out);
        any = true;
      }
      if (!any) {
        return false;
      }
      if (!prefaceRead) {
        if (!frames.skip(PREFACE.length)) {
          return false;
        }
        prefaceRead = true;
        // The server's preface: its SETTINGS (stream windows 2^31-1), the connection window
        // opened as far: it never sends a WINDOW_UPDATE after
        ByteBuf preface = alloc.directBuffer(32);
        frameHeader(preface, 6, SETTINGS, 0, 0).writeShort(0x4).writeInt(Integer.MAX_VALUE);
        frameHeader(preface, 4, WINDOW_UPDATE, 0, 0).writeInt(Integer.MAX_VALUE - 65_535);
        read(channel, preface);
      }
      ByteBuf reply = null;
      while (frames.next()) {
        if (frames.type == SETTINGS && (frames.flags & ACK) == 0) {
          reply = reply(reply, 9);
          frameHeader(reply, 0, SETTINGS, ACK, 0);
        } else if (frames.type == PING && (frames.flags & ACK) == 0) {
          reply = reply(reply, 17);
          frameHeader(reply, 8, PING, ACK, 0).writeLong(frames.pingData);
        } else if ((frames.type == HEADERS || frames.type == DATA)
            && (frames.flags & END_STREAM) != 0) {
          // the request ended: the answer
          byte[] block = firstAnswered ? response : firstResponse;
          firstAnswered = true;
          byte[] body = responseBody;
          byte[] end = trailers;
          int stream = frames.stream;
          reply =
              reply(
                  reply,
                  3 * FRAME_HEADER_BYTES
                      + block.length
                      + body.length
                      + (end == null ? 0 : end.length));
          frameHeader(reply, block.length, HEADERS, END_HEADERS, stream).writeBytes(block);
          frameHeader(reply, body.length, DATA, end == null ? END_STREAM : 0, stream)
              .writeBytes(body);
          if (end != null) {
            frameHeader(reply, end.length, HEADERS, END_STREAM | END_HEADERS, stream)
                .writeBytes(end);
          }
        }
      }
      if (reply != null) {
        read(channel, reply);
      }
      return true;
    }

    private ByteBuf reply(ByteBuf reply, int bytes) {
      return reply == null ? alloc.directBuffer(Math.max(bytes, 64)) : reply;
    }
  }

  /**
   * One socket read as an event loop delivers it: the bytes, then the end of the read, then the
   * loop's tasks. Through {@code writeInbound}, so that the channel's own writes during the read do
   * not run the loop's tasks in their midst (an EmbeddedChannel runs them after any write made
   * outside its own methods, which a real event loop never does): the proxy defers work to a task
   * precisely so that it does not re-enter a write in progress.
   */
  private static void read(EmbeddedChannel ch, ByteBuf bytes) {
    ch.writeInbound(bytes);
    ch.runPendingTasks();
    ch.checkException();
  }
}
