package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersEncoder;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameWriter;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersEncoder.SensitivityDetector;
import io.netty.util.AsciiString;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The proxy's frame writer against Netty's, its oracle: for the same frames, each writer with a
 * fresh HPACK encoder, the bytes on the wire are the same, and every write's promise completes:
 * successfully, or failed when the channel's write fails.
 */
class Http2FrameWriterLeanTest {
  private static final int MAX_FRAME = Http2CodecUtil.DEFAULT_MAX_FRAME_SIZE;
  private static final int COPIED = Http2FrameWriterLean.MAX_COPIED_DATA_BYTES;

  /** Authorization as a sensitive field: a never-indexed literal (RFC 7541 §6.2.3). */
  private static final SensitivityDetector SENSITIVE =
      (name, value) -> AsciiString.contentEqualsIgnoreCase(name, "authorization");

  /** A run of writes, made on each writer. */
  @FunctionalInterface
  interface Script {
    void run(Wire w) throws Exception;
  }

  /** A writer on a channel whose outbound bytes are kept, behind {@code before} handlers. */
  static final class Wire {
    final EmbeddedChannel channel = new EmbeddedChannel();
    final ChannelHandlerContext ctx;
    final Http2FrameWriter writer;
    final List<ChannelPromise> promises = new ArrayList<>();

    Wire(boolean lean, ChannelHandler... before) {
      channel.pipeline().addLast(before);
      channel.pipeline().addLast("writer", new ChannelInboundHandlerAdapter());
      ctx = channel.pipeline().context("writer");
      DefaultHttp2HeadersEncoder encoder = new DefaultHttp2HeadersEncoder(SENSITIVE);
      writer = lean ? new Http2FrameWriterLean(encoder) : new DefaultHttp2FrameWriter(encoder);
    }

    ChannelPromise headers(int stream, Http2Headers h, boolean endStream) {
      ChannelPromise p = channel.newPromise();
      promises.add(p);
      writer.writeHeaders(ctx, stream, h, 0, endStream, p);
      return p;
    }

    ChannelPromise data(int stream, int bytes, boolean endStream) {
      ChannelPromise p = channel.newPromise();
      promises.add(p);
      writer.writeData(ctx, stream, payload(bytes), 0, endStream, p);
      return p;
    }

    /** The bytes written so far, after a flush. */
    byte[] flushed() {
      channel.flush();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      for (ByteBuf b = channel.readOutbound(); b != null; b = channel.readOutbound()) {
        out.writeBytes(ByteBufUtil.getBytes(b));
        b.release();
      }
      return out.toByteArray();
    }

    void close() {
      writer.close();
      assertThat(channel.finishAndReleaseAll()).isFalse();
    }
  }

  private static ByteBuf payload(int bytes) {
    ByteBuf b = ByteBufAllocator.DEFAULT.buffer(bytes);
    for (int i = 0; i < bytes; i++) {
      b.writeByte(i * 31 + 7);
    }
    return b;
  }

  private static Http2Headers request(String path) {
    return new DefaultHttp2Headers()
        .method("GET")
        .scheme("http")
        .authority("backend.example:8080")
        .path(path)
        .add("user-agent", "h2load nghttp2/1.64.0")
        .add("x-forwarded-for", "127.0.0.1");
  }

  private static Http2Headers response() {
    return new DefaultHttp2Headers()
        .status("200")
        .add("server", "nginx")
        .add("content-type", "text/plain")
        .add("content-length", "7");
  }

  /** A field of {@code chars} printable characters, fixed per length, Huffman-coded near 7 bits. */
  private static Http2Headers large(int chars) {
    Random r = new Random(chars);
    StringBuilder s = new StringBuilder(chars);
    for (int i = 0; i < chars; i++) {
      s.append((char) ('!' + r.nextInt(94)));
    }
    return new DefaultHttp2Headers().add("x-large", s.toString());
  }

  /** One field of {@code n} '{' (longer Huffman-coded, so the encoder writes it as it is). */
  private static Http2Headers fill(int n) {
    return new DefaultHttp2Headers().add("x-fill", "{".repeat(n));
  }

  private static int blockBytes(Http2Headers h) throws Http2Exception {
    ByteBuf b = Unpooled.buffer();
    try {
      new DefaultHttp2HeadersEncoder(SENSITIVE).encodeHeaders(1, h, b);
      return b.readableBytes();
    } finally {
      b.release();
    }
  }

  /** Headers whose block is {@code bytes} long. */
  private static Http2Headers blockOf(int bytes) throws Http2Exception {
    for (int n = bytes - 16; n < bytes; n++) {
      Http2Headers h = fill(n);
      if (blockBytes(h) == bytes) {
        return h;
      }
    }
    throw new AssertionError("no block of " + bytes + " bytes");
  }

  static Stream<Arguments> scripts() {
    return Stream.of(
        Arguments.of(
            "requests and responses, later blocks referring to the dynamic table",
            (Script)
                w -> {
                  w.headers(1, request("/a"), true);
                  w.headers(3, request("/b"), true);
                  w.headers(1, response(), false);
                  w.data(1, 7, true);
                  w.headers(3, response(), false);
                  w.data(3, 7, false);
                  w.headers(3, new DefaultHttp2Headers().add("grpc-status", "0"), true);
                }),
        Arguments.of(
            "sensitive fields",
            (Script)
                w -> {
                  Http2Headers h = request("/s").add("authorization", "Bearer 0123456789abcdef");
                  w.headers(1, h, false);
                  w.headers(3, h, true);
                }),
        Arguments.of(
            "empty blocks",
            (Script)
                w -> {
                  w.headers(1, new DefaultHttp2Headers(), false);
                  w.headers(1, new DefaultHttp2Headers(), true);
                }),
        Arguments.of(
            "blocks larger than the frame size, in CONTINUATION frames",
            (Script)
                w -> {
                  w.headers(1, large(40_000), true);
                  w.headers(3, large(100_000), false);
                  w.headers(3, response(), true);
                }),
        Arguments.of(
            "blocks of the frame size, one byte more, twice and twice and one",
            (Script)
                w -> {
                  w.headers(1, blockOf(MAX_FRAME), true);
                  w.headers(3, blockOf(MAX_FRAME + 1), false);
                  w.headers(5, blockOf(2 * MAX_FRAME), true);
                  w.headers(7, blockOf(2 * MAX_FRAME + 1), true);
                }),
        Arguments.of(
            "a dynamic table size update in front of a block",
            (Script)
                w -> {
                  w.headers(1, request("/a"), false);
                  w.writer.configuration().headersConfiguration().maxHeaderTableSize(64);
                  w.headers(3, request("/a"), true);
                }),
        Arguments.of(
            "DATA: empty, one byte, around the copy limit, the frame size, larger",
            (Script)
                w -> {
                  for (int n :
                      new int[] {
                        0,
                        1,
                        COPIED,
                        COPIED + 1,
                        1024,
                        MAX_FRAME - 1,
                        MAX_FRAME,
                        MAX_FRAME + 1,
                        3 * MAX_FRAME + 5
                      }) {
                    w.data(1, n, false);
                  }
                  w.data(1, 0, true);
                  w.data(3, 1, true);
                  w.data(5, COPIED + 1, true);
                  w.data(7, MAX_FRAME, true);
                  w.data(9, 2 * MAX_FRAME, true);
                }),
        Arguments.of(
            "a larger frame size from the peer's SETTINGS",
            (Script)
                w -> {
                  w.writer.configuration().frameSizePolicy().maxFrameSize(2 * MAX_FRAME);
                  w.headers(1, large(40_000), false);
                  w.headers(3, blockOf(2 * MAX_FRAME + 1), false);
                  w.data(1, 2 * MAX_FRAME, false);
                  w.data(1, 2 * MAX_FRAME + 1, true);
                }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("scripts")
  void writesTheBytesNettysWriterWrites(String name, Script script) throws Exception {
    Wire netty = new Wire(false);
    Wire lean = new Wire(true);
    script.run(netty);
    script.run(lean);

    byte[] expected = netty.flushed();
    byte[] actual = lean.flushed();

    assertThat(expected).isNotEmpty();
    assertThat(actual.length).isEqualTo(expected.length);
    assertThat(Arrays.mismatch(actual, expected)).as("the first byte that differs").isEqualTo(-1);
    assertThat(netty.promises).allMatch(ChannelPromise::isSuccess);
    assertThat(lean.promises).hasSameSizeAs(netty.promises).allMatch(ChannelPromise::isSuccess);
    netty.close();
    lean.close();
  }

  @Test
  void aHeadersFrameAndASmallDataFrameAreOneWriteEach() {
    Wire w = new Wire(true);
    w.headers(1, response(), false);
    w.data(1, 7, true);
    w.channel.flush();

    assertThat(w.channel.outboundMessages()).hasSize(2); // Netty's writer: four
    assertThat(w.promises).allMatch(ChannelPromise::isSuccess);
    w.flushed();
    w.close();
  }

  /** Fails the writes that match {@code which} with {@code cause} and passes the others. */
  private static ChannelHandler failing(Predicate<ByteBuf> which, Throwable cause) {
    return new ChannelOutboundHandlerAdapter() {
      @Override
      public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        ByteBuf b = (ByteBuf) msg;
        if (which.test(b)) {
          b.release();
          promise.setFailure(cause);
        } else {
          ctx.write(msg, promise);
        }
      }
    };
  }

  @Test
  void everyPromiseFailsWhenTheChannelsWritesFail() throws Exception {
    IOException broken = new IOException("broken pipe");
    Wire w = new Wire(true, failing(b -> true, broken));
    w.headers(1, request("/a"), false);
    w.headers(3, large(40_000), false);
    w.data(1, 7, false);
    w.data(1, MAX_FRAME, false);
    w.data(3, 3 * MAX_FRAME, true);

    assertThat(w.flushed()).isEmpty();
    assertThat(w.promises).allSatisfy(p -> assertThat(p.cause()).isSameAs(broken));
    w.close();
  }

  @Test
  void aDataFrameWrittenAsHeaderAndPayloadFailsWhenEitherWriteFails() {
    IOException broken = new IOException("broken pipe");
    for (int failedBytes : new int[] {Http2CodecUtil.FRAME_HEADER_LENGTH, MAX_FRAME}) {
      Wire w = new Wire(true, failing(b -> b.readableBytes() == failedBytes, broken));
      ChannelPromise p = w.data(1, MAX_FRAME, true);
      w.flushed();

      assertThat(p.cause()).as("failed write of %d bytes", failedBytes).isSameAs(broken);
      w.close();
    }
  }

  @Test
  void framesWrittenToAClosedChannelFailTheirPromisesAndLeakNothing() throws Exception {
    Wire w = new Wire(true);
    w.channel.close();
    w.headers(1, request("/a"), false);
    w.data(1, 7, false);
    w.data(1, MAX_FRAME, true); // the header's write fails at once: the payload is not written

    assertThat(w.promises).allSatisfy(p -> assertThat(p.cause()).isNotNull());
    w.close();
  }

  @Test
  void aBlockPastThePeersHeaderListSizeFailsItsPromiseAndWritesNothing() throws Exception {
    for (boolean lean : new boolean[] {false, true}) {
      Wire w = new Wire(lean);
      w.writer.configuration().headersConfiguration().maxHeaderListSize(100);
      ChannelPromise p = w.headers(1, large(1000), false);

      assertThat(p.cause()).isInstanceOf(Http2Exception.class);
      assertThat(w.flushed()).isEmpty();
      w.close();
    }
  }
}
