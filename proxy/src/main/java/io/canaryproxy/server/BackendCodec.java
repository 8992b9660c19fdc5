package io.canaryproxy.server;

import io.canaryproxy.pool.BufferedInput;
import io.canaryproxy.server.http1.Http1BackendAdapter;
import io.canaryproxy.server.http1.Http1Head;
import io.canaryproxy.server.http1.Http1ResponseDecoder;
import io.canaryproxy.server.http1.LoopBuffer;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 codec of a backend connection. Responses are read in place by {@link
 * Http1ResponseDecoder} (strict: status line {@code HTTP/1.x NNN} with a code in 100..599, junk
 * fails at once instead of waiting for a line that may never come, one Content-Length field in
 * every version, no Content-Length beside Transfer-Encoding); it tells the pool whether bytes
 * arrived past the last response's framing. The connection becomes a pass-through only after a
 * {@code 101} answering a request that carried {@code Upgrade} (a WebSocket being tunnelled; never
 * for CONNECT, which the proxy does not send): a {@code 101} to any other request is a malformed
 * response, which the forwarder fails.
 */
final class BackendCodec
    extends CombinedChannelDuplexHandler<Http1ResponseDecoder, BackendCodec.Encoder>
    implements BufferedInput, Http1ResponseDecoder.Requests {

  /** Methods of the requests sent and not yet answered, oldest first (for HEAD). */
  private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

  /** The last request sent carried {@code Upgrade}: a {@code 101} to it switches protocols. */
  private boolean upgradeSent;

  /**
   * @param maxLineBytes longest status (or chunk-size) line a backend may send
   * @param maxHeaderBytes largest field (or trailer) section a backend may send
   */
  BackendCodec(int maxLineBytes, int maxHeaderBytes) {
    init(new Http1ResponseDecoder(maxLineBytes, maxHeaderBytes, this), new Encoder());
  }

  @Override
  public boolean hasBufferedInput() {
    return inboundHandler().buffered();
  }

  @Override
  public boolean oldestIsHead() {
    return HttpMethod.HEAD.equals(methods.peek());
  }

  @Override
  public boolean oldestUpgrades() {
    return upgradeSent;
  }

  @Override
  public void answered() {
    methods.poll();
  }

  /**
   * Records each request's method, so that the answer to a HEAD is read without a body. What the
   * exchange writes is first framed by {@link Http1BackendAdapter}. A client's HTTP/1.1 head
   * ({@link Http1Head}) is written from its own bytes, and its body is chunked here when its length
   * is unknown; any other head goes through Netty's encoder.
   */
  final class Encoder extends HttpRequestEncoder {
    /** The request being written is an {@link Http1Head}'s: its body is framed below. */
    private boolean lean;

    private boolean leanChunked;

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out)
        throws Exception {
      if (msg instanceof Http1Head head) {
        out.add(encodeHead(ctx, head));
        return;
      }
      if (lean) {
        encodeLeanBody(ctx, msg, out);
        return;
      }
      if (msg instanceof HttpRequest request) {
        methods.add(request.method());
        upgradeSent = request.headers().contains(HttpHeaderNames.UPGRADE);
      }
      super.encode(ctx, msg, out);
    }

    /**
     * The bytes of a client's HTTP/1.1 head, framed and written from its own bytes into the loop's
     * reused buffer ({@link LoopBuffer}).
     */
    private ByteBuf encodeHead(ChannelHandlerContext ctx, Http1Head head) {
      methods.add(HttpMethod.valueOf(head.method()));
      upgradeSent = head.contains(HttpHeaderNames.UPGRADE);
      ByteBuf bytes = LoopBuffer.forRequestHead(ctx.alloc(), head.sizeHint());
      try {
        head.writeTo(bytes);
      } catch (RuntimeException e) {
        bytes.release();
        throw e;
      }
      lean = true;
      leanChunked = head.bodyLength() < 0;
      return bytes;
    }

    /**
     * The end of a request written from an {@link Http1Head} with a known length (every GET) adds
     * no byte: it is taken here instead of travelling to the socket as an empty buffer (a pipeline
     * pass and an outbound-buffer entry a request).
     */
    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise)
        throws Exception {
      Object msg = Http1BackendAdapter.toCodec(message);
      if (msg instanceof Http1Head head && !inboundHandler().switched()) {
        // Written as the encoder below would pass it on, without its trip through the out list.
        ctx.write(encodeHead(ctx, head), promise);
        return;
      }
      if (lean
          && !leanChunked
          && msg instanceof LastHttpContent last
          && !last.content().isReadable()
          && !inboundHandler().switched()) {
        lean = false;
        last.release();
        promise.trySuccess();
        return;
      }
      super.write(ctx, msg, promise);
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) throws Exception {
      return !inboundHandler().switched()
          && (msg instanceof Http1Head || super.acceptOutboundMessage(msg));
    }

    /** A body piece or the end of an {@link Http1Head}'s request, chunked when it is. */
    private void encodeLeanBody(ChannelHandlerContext ctx, Object msg, List<Object> out) {
      if (msg instanceof LastHttpContent last) {
        lean = false;
        ByteBuf data = last.content();
        if (leanChunked) {
          if (data.isReadable()) {
            chunk(ctx, data.retain(), out);
          }
          ByteBuf end = ctx.alloc().buffer(16);
          end.writeByte('0').writeByte('\r').writeByte('\n');
          for (Map.Entry<String, String> t : last.trailingHeaders()) {
            ByteBufUtil.writeAscii(end, t.getKey());
            end.writeByte(':').writeByte(' ');
            ByteBufUtil.writeAscii(end, t.getValue());
            end.writeByte('\r').writeByte('\n');
          }
          end.writeByte('\r').writeByte('\n');
          out.add(end);
        } else {
          out.add(data.isReadable() ? data.retain() : Unpooled.EMPTY_BUFFER);
        }
        last.release();
        return;
      }
      if (msg instanceof ByteBuf data) {
        if (!data.isReadable()) {
          out.add(data);
        } else if (leanChunked) {
          chunk(ctx, data, out);
        } else {
          out.add(data);
        }
        return;
      }
      ReferenceCountUtil.release(msg);
      throw new IllegalStateException("unexpected message in a request body: " + msg.getClass());
    }

    private void chunk(ChannelHandlerContext ctx, ByteBuf data, List<Object> out) {
      ByteBuf size = ctx.alloc().buffer(12);
      ByteBufUtil.writeAscii(size, Integer.toHexString(data.readableBytes()));
      size.writeByte('\r').writeByte('\n');
      out.add(size);
      out.add(data);
      ByteBuf crlf = ctx.alloc().buffer(2);
      crlf.writeByte('\r').writeByte('\n');
      out.add(crlf);
    }
  }
}
