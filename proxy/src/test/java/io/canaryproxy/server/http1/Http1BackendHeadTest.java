package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HopByHop;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.server.ReferenceResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * What an HTTP/1.1 client receives for a backend's HTTP/1.1 head on the live path (the head kept as
 * its bytes, edited through the exchange model, written from its bytes) is byte for byte what the
 * old path sent: Netty's response decoder with the old checks ({@link ReferenceResponseDecoder}),
 * the same edits on its decoded response, then Netty's encoder. For each head, every client shape
 * (HTTP/1.1 or 1.0, keep-alive or not, a HEAD request), with a body piece and the end after it:
 * written as one message (a whole response, as when they arrive in one read) and as the head
 * flushed before the rest.
 */
class Http1BackendHeadTest {
  static final String[] HEADS = {
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nVary: accept\r\n\r\n",
    "HTTP/1.1 200 OK\r\nDate: Wed, 02 Dec 2026 07:00:00 GMT\r\nServer: nginx\r\n\r\n",
    "HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n\r\n",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: x-a, keep-alive\r\nx-a: 1\r\nKeep-Alive: timeout=5\r\n"
        + "Proxy-Authenticate: p\r\nTrailer: x-t\r\nUpgrade: h2c\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX-A: 1\r\n\r\n",
    "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 205 Reset Content\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 9\r\n\r\n",
    "HTTP/1.1 200\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 \r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 299 Odd  Reason  \r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 \u00e9t\u00e9\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Ows:   spaced \t\r\nX-Empty:\r\nX-Tight:v\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nX-Canary-Variant: forged\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 500 Internal Server Error\r\ncontent-length: 3\r\nCONNECTION: Close\r\n\r\n",
    "\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n",
    // hop-by-hop fields, left out from the parser's marks on the live path
    "HTTP/1.1 200 OK\r\nConnection: close, X-B\r\nX-B: 1\r\nconnection: X-C\r\nx-c: 2\r\n"
        + "X-D: 3\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: Content-Length, host, Transfer-Encoding, te\r\nHost: h\r\n"
        + "Content-Length: 3\r\nTE: trailers\r\n\r\n",
    "HTTP/1.1 200 OK\r\nProxy-: 1\r\nProxy-Connection: keep-alive\r\nPROXY-X: 2\r\n"
        + "Keep-Alive: timeout=5\r\nContent-Length: 3\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: ,, x-e ,\t,\r\nX-E: 1\r\nX-E: 2\r\nx-ee: 3\r\n"
        + "Transfer-Encoding: chunked\r\n\r\n",
  };

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (String head : HEADS) {
      for (int shape = 0; shape < 6; shape++) {
        boolean http11 = shape != 1 && shape != 2;
        boolean keepAlive = shape != 2 && shape != 3;
        boolean headRequest = shape == 4;
        boolean draining = shape == 5;
        all.add(Arguments.of(head, http11, keepAlive, headRequest, draining, false));
        all.add(Arguments.of(head, http11, keepAlive, headRequest, draining, true));
      }
    }
    return all.stream();
  }

  @ParameterizedTest
  @MethodSource("cases")
  void writesTheSameBytesAsTheOldPath(
      String raw,
      boolean http11,
      boolean keepAlive,
      boolean headRequest,
      boolean draining,
      boolean flushHead) {
    String expected = oldPath(raw, http11, keepAlive, headRequest, draining);
    String actual = livePath(raw, http11, keepAlive, headRequest, draining, flushHead);
    assertThat(actual).isEqualTo(expected);
  }

  /** What the forwarder does to a final head before the client connection writes it. */
  private static void edit(ResponseHead head) {
    HopByHop.strip(head.headers());
    head.headers().set("x-canary-variant", "canary");
    head.headers().add("set-cookie", "cid=u-1; Path=/; HttpOnly");
  }

  private static String livePath(
      String raw,
      boolean http11,
      boolean keepAlive,
      boolean headRequest,
      boolean draining,
      boolean flushHead) {
    EmbeddedChannel decoder =
        new EmbeddedChannel(new Http1ResponseDecoder(4096, 65536, requests(headRequest)));
    try {
      decoder.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
      Object msg = decoder.readInbound();
      assertThat(msg).isInstanceOf(Http1BackendResponse.class);
      return written(
          (Http1BackendResponse) msg, http11, keepAlive, headRequest, draining, flushHead);
    } finally {
      decoder.finishAndReleaseAll();
    }
  }

  /**
   * Whole responses are written into the event loop's reused buffer ({@link LoopBuffer}) only once
   * the connection sent the last one: a response that this connection or another one on the same
   * loop has not sent yet keeps its bytes when the loop writes the next.
   */
  @Test
  void aResponseNotSentYetKeepsItsBytesWhenTheLoopWritesTheNext() {
    EmbeddedChannel a =
        new EmbeddedChannel(new ProxyResponseEncoder(), new ChannelInboundHandlerAdapter());
    EmbeddedChannel b =
        new EmbeddedChannel(new ProxyResponseEncoder(), new ChannelInboundHandlerAdapter());
    Http1ResponseWriter wa = new Http1ResponseWriter(a.pipeline().lastContext());
    Http1ResponseWriter wb = new Http1ResponseWriter(b.pipeline().lastContext());
    String first = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\naaa";
    String second = "HTTP/1.1 201 Created\r\nContent-Length: 4\r\nX-B: 2\r\n\r\nbbbb";
    String third = "HTTP/1.1 202 Accepted\r\nContent-Length: 2\r\n\r\ncc";
    // Each is flushed, and held unread by its channel as a socket that did not take it yet.
    writeWhole(wa, first);
    writeWhole(wb, second);
    writeWhole(wa, third);
    assertThat(outbound(a)).isEqualTo(first + third);
    assertThat(outbound(b)).isEqualTo(second);
    // Sent (released by the channel): the loop's buffer is written again, with the right bytes.
    writeWhole(wb, third);
    assertThat(outbound(b)).isEqualTo(third);
    assertThat(a.finishAndReleaseAll()).isFalse();
    assertThat(b.finishAndReleaseAll()).isFalse();
  }

  /** Decodes {@code raw} (a whole response) and writes it as the live path does. */
  private static void writeWhole(Http1ResponseWriter writer, String raw) {
    EmbeddedChannel decoder =
        new EmbeddedChannel(new Http1ResponseDecoder(4096, 65536, requests(false)));
    try {
      decoder.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
      Http1BackendResponse head = decoder.readInbound();
      ByteBuf piece = decoder.readInbound();
      assertThat((Object) decoder.readInbound()).isSameAs(BodyEnd.NONE);
      writer.begin(true, true, false, false);
      writer.writeHead(head, false);
      writer.writeBody(piece);
      writer.writeEnd(BodyEnd.NONE);
    } finally {
      decoder.finishAndReleaseAll();
    }
  }

  private static String outbound(EmbeddedChannel ch) {
    StringBuilder out = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      out.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return out.toString();
  }

  static Http1ResponseDecoder.Requests requests(boolean head) {
    return new Http1ResponseDecoder.Requests() {
      @Override
      public boolean oldestIsHead() {
        return head;
      }

      @Override
      public boolean oldestUpgrades() {
        return false;
      }

      @Override
      public void answered() {}
    };
  }

  private static String oldPath(
      String raw, boolean http11, boolean keepAlive, boolean headRequest, boolean draining) {
    EmbeddedChannel decoder = new EmbeddedChannel(new ReferenceResponseDecoder(headRequest, false));
    decoder.writeInbound(Unpooled.copiedBuffer(raw, StandardCharsets.ISO_8859_1));
    Object msg = decoder.readInbound();
    try {
      assertThat(msg).isInstanceOf(HttpResponse.class);
      HttpResponse response = (HttpResponse) msg;
      assertThat(response.decoderResult().isSuccess()).isTrue();
      return written(Http1Response.of(response), http11, keepAlive, headRequest, draining, true);
    } finally {
      ReferenceCountUtil.release(msg);
      for (Object o; (o = decoder.readInbound()) != null; ) {
        ReferenceCountUtil.release(o);
      }
      decoder.finishAndReleaseAll();
    }
  }

  /**
   * The bytes a client connection writes for {@code head}, a 3-byte body piece and the end; {@code
   * flushHead}: the head is flushed before the piece comes.
   */
  private static String written(
      ResponseHead head,
      boolean http11,
      boolean keepAlive,
      boolean headRequest,
      boolean draining,
      boolean flushHead) {
    EmbeddedChannel client =
        new EmbeddedChannel(new ProxyResponseEncoder(), new ChannelInboundHandlerAdapter());
    try {
      ChannelHandlerContext ctx = client.pipeline().lastContext();
      Http1ResponseWriter writer = new Http1ResponseWriter(ctx);
      writer.begin(keepAlive, http11, headRequest, false);
      edit(head);
      writer.writeHead(head, draining);
      if (flushHead) {
        writer.flush();
      }
      int code = head.status();
      if (!headRequest && code != 204 && code != 304) {
        writer.writeBody(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII));
      }
      writer.writeEnd(BodyEnd.NONE);
      StringBuilder out = new StringBuilder();
      for (ByteBuf b; (b = client.readOutbound()) != null; ) {
        out.append(b.toString(StandardCharsets.ISO_8859_1));
        b.release();
      }
      return out + (writer.closeAfterResponse() ? "<close>" : "");
    } finally {
      client.finishAndReleaseAll();
    }
  }
}
