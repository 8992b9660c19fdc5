/*
 * Cost of reading one typical request head (9 fields, 367 bytes) and writing the head a backend
 * receives: the lean in-place parser and writer (io.canaryproxy.http1) against Netty's HttpRequestDecoder and
 * HttpRequestEncoder, each called directly (no pipeline), on the same bytes in a pooled direct buffer.
 * The lean side also makes the proxy's edits (hop-by-hop fields, X-Forwarded-*); the Netty side only
 * decodes and re-encodes, so the comparison flatters Netty.
 *
 * Run (after `./mvnw -B -o package -DskipTests`):
 *   java -jar bench/target/canary-bench.jar jmh -prof gc Http1HeadBenchmark
 * Read ns/op in the score column and B/op in gc.alloc.rate.norm.
 */
package io.canaryproxy.bench.jmh;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.RequestHeadParser;
import io.canaryproxy.http1.UpstreamHeadWriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/** One request head read and written again, lean versus Netty's codec. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 5, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms256m", "-Xmx256m", "-XX:+UseParallelGC"})
public class Http1HeadBenchmark {
  static final String HEAD =
      "GET /api/v1/items?id=42&sort=price HTTP/1.1\r\n"
          + "Host: shop.example.com\r\n"
          + "User-Agent: Mozilla/5.0 (X11; Linux x86_64) canary-bench/1.0\r\n"
          + "Accept: application/json\r\n"
          + "Accept-Encoding: gzip, deflate, br\r\n"
          + "Accept-Language: en-US,en;q=0.9\r\n"
          + "Cookie: session=3f2a9c1b7e; theme=dark\r\n"
          + "x-user-id: user-12345\r\n"
          + "X-Request-Id: 9b1d7c4e-5a2f-4f0e-8c3a-2d6e1f0b7a95\r\n"
          + "Connection: keep-alive\r\n"
          + "\r\n";

  private static final LimitsConfig LIMITS =
      new LimitsConfig(8 * 1024, 16 * 1024, 100, 100L * 1024 * 1024);
  private static final Set<String> KEEP = Set.of("x-user-id");

  private ByteBuf in;
  private ByteBuf out;
  private RequestHeadParser parser;
  private NettyDecoder decoder;
  private NettyEncoder encoder;
  private EmbeddedChannel channel;
  private ChannelHandlerContext encoderContext;
  private final List<Object> decoded = new ArrayList<>();
  private final List<Object> encoded = new ArrayList<>();

  /** Exposes the decoder's protected decode step. */
  static final class NettyDecoder extends HttpRequestDecoder {
    NettyDecoder(HttpDecoderConfig config) {
      super(config);
    }

    void decodeOnce(ByteBuf buf, List<Object> out) throws Exception {
      decode(null, buf, out);
    }
  }

  /** Exposes the encoder's protected encode step. */
  static final class NettyEncoder extends HttpRequestEncoder {
    void encodeOnce(ChannelHandlerContext ctx, Object msg, List<Object> out) throws Exception {
      encode(ctx, msg, out);
    }
  }

  @Setup
  public void setUp() {
    byte[] bytes = HEAD.getBytes(StandardCharsets.US_ASCII);
    in = PooledByteBufAllocator.DEFAULT.directBuffer(bytes.length);
    in.writeBytes(bytes);
    out = PooledByteBufAllocator.DEFAULT.directBuffer(1024);
    parser = new RequestHeadParser(LIMITS);
    decoder =
        new NettyDecoder(
            new HttpDecoderConfig()
                .setMaxInitialLineLength(LIMITS.maxRequestLineBytes())
                .setMaxHeaderSize(LIMITS.maxHeaderBytes())
                .setMaxChunkSize(64 * 1024)
                .setAllowDuplicateContentLengths(false)
                .setUseRfc9112TransferEncoding(true));
    encoder = new NettyEncoder();
    channel = new EmbeddedChannel(encoder);
    encoderContext = channel.pipeline().context(encoder);
  }

  @TearDown
  public void tearDown() {
    in.release();
    out.release();
    channel.finishAndReleaseAll();
  }

  /** The lean parser, then the forwarded head written from the original bytes. */
  @Benchmark
  public int lean() {
    in.readerIndex(0);
    out.clear();
    if (parser.parse(in) != RequestHeadParser.Result.COMPLETE) {
      throw new IllegalStateException(String.valueOf(parser.rejection()));
    }
    UpstreamHeadWriter.write(parser.head(), in, out, "192.0.2.7", KEEP, "x-canary", null);
    return out.readableBytes();
  }

  /** Netty's decoder (request and its empty last content), then its encoder. */
  @Benchmark
  public int netty() throws Exception {
    in.readerIndex(0);
    decoder.decodeOnce(in, decoded);
    int bytes = 0;
    for (int i = 0; i < decoded.size(); i++) {
      encoder.encodeOnce(encoderContext, decoded.get(i), encoded);
    }
    for (int i = 0; i < encoded.size(); i++) {
      Object o = encoded.get(i);
      if (o instanceof ByteBuf b) {
        bytes += b.readableBytes();
      }
      ReferenceCountUtil.release(o);
    }
    decoded.clear();
    encoded.clear();
    return bytes;
  }
}
