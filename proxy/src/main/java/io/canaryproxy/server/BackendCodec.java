package io.canaryproxy.server;

import io.canaryproxy.pool.BufferedInput;
import io.canaryproxy.server.http1.Http1Head;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.CombinedChannelDuplexHandler;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;

/**
 * The HTTP/1.1 codec of a backend connection. Unlike Netty's {@code HttpClientCodec} it turns a
 * connection into a pass-through only after a {@code 101} answering a request that carried {@code
 * Upgrade} (a WebSocket being tunnelled; never for CONNECT, which the proxy does not send): a
 * {@code 101} to any other request is read as a bodiless interim response, which the forwarder
 * fails. It reads a response strictly (status line {@code HTTP/1.x NNN} with a code in 100..599, or
 * the response fails at once instead of waiting for a line that may never come; one Content-Length
 * field in every version), and it tells the pool whether bytes arrived past the last response's
 * framing.
 */
final class BackendCodec
    extends CombinedChannelDuplexHandler<BackendCodec.Decoder, BackendCodec.Encoder>
    implements BufferedInput {
  private static final byte[] VERSION_PREFIX = {'H', 'T', 'T', 'P', '/', '1', '.'};

  /** Methods of the requests sent and not yet answered, oldest first (for HEAD). */
  private final ArrayDeque<HttpMethod> methods = new ArrayDeque<>(2);

  /** The last request sent carried {@code Upgrade}: a {@code 101} to it switches protocols. */
  private boolean upgradeSent;

  /** A {@code 101} switched protocols: bytes pass through both ways, unencoded and undecoded. */
  private boolean switched;

  BackendCodec(HttpDecoderConfig config) {
    init(new Decoder(config), new Encoder());
  }

  @Override
  public boolean hasBufferedInput() {
    return inboundHandler().buffered();
  }

  /**
   * Records each request's method, so that the answer to a HEAD is read without a body. A client's
   * HTTP/1.1 head ({@link Http1Head}) is written from its own bytes, and its body is chunked here
   * when its length is unknown; any other head goes through Netty's encoder.
   */
  final class Encoder extends HttpRequestEncoder {
    /** The request being written is an {@link Http1Head}'s: its body is framed below. */
    private boolean lean;

    private boolean leanChunked;

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, List<Object> out)
        throws Exception {
      if (msg instanceof Http1Head head) {
        methods.add(HttpMethod.valueOf(head.method()));
        upgradeSent = head.contains(HttpHeaderNames.UPGRADE);
        ByteBuf bytes = ctx.alloc().buffer(head.sizeHint());
        head.writeTo(bytes);
        out.add(bytes);
        lean = true;
        leanChunked = head.bodyLength() < 0;
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

    @Override
    public boolean acceptOutboundMessage(Object msg) throws Exception {
      return !switched && (msg instanceof Http1Head || super.acceptOutboundMessage(msg));
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

  /** Netty's response decoder with the strict checks described on {@link BackendCodec}. */
  final class Decoder extends HttpResponseDecoder {
    private final LengthFields lengthFields = new LengthFields();
    private boolean atMessageStart = true;
    private boolean broken;

    Decoder(HttpDecoderConfig config) {
      super(config);
    }

    boolean buffered() {
      return actualReadableBytes() > 0;
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
        throws Exception {
      if (broken) {
        in.skipBytes(in.readableBytes());
        return;
      }
      if (switched) {
        super.decode(ctx, in, out); // tunnel bytes, passed on as they are
        return;
      }
      if (atMessageStart && !startsLikeStatusLine(in)) {
        // An HTTP/0.9 body or other junk: fail now rather than wait for a line end that may
        // never come.
        fail(in, out, "the response does not start with HTTP/1.x");
        return;
      }
      int before = out.size();
      super.decode(ctx, in, out);
      for (int i = before; i < out.size(); i++) {
        Object msg = out.get(i);
        if (msg instanceof HttpMessage m) {
          atMessageStart = false;
          if (m.decoderResult().isFailure()) {
            broken = true;
          }
        }
        if (msg instanceof LastHttpContent) {
          atMessageStart = true;
        }
      }
    }

    /**
     * True when the unread bytes, after any empty lines, are a prefix of {@code HTTP/1.} or start
     * with it.
     */
    private boolean startsLikeStatusLine(ByteBuf in) {
      int i = in.readerIndex();
      int end = in.writerIndex();
      while (i < end && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
        i++;
      }
      for (int k = 0; k < VERSION_PREFIX.length && i + k < end; k++) {
        if (in.getByte(i + k) != VERSION_PREFIX[k]) {
          return false;
        }
      }
      return true;
    }

    private void fail(ByteBuf in, List<Object> out, String reason) {
      broken = true;
      in.skipBytes(in.readableBytes());
      DefaultFullHttpResponse invalid =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER);
      invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException(reason)));
      out.add(invalid);
    }

    @Override
    protected HttpMessage createMessage(String[] initialLine) {
      String version = initialLine[0];
      if (!version.equals("HTTP/1.1") && !version.equals("HTTP/1.0")) {
        throw new IllegalArgumentException("invalid response version");
      }
      String code = initialLine[1];
      if (code.length() != 3
          || code.charAt(0) < '1'
          || code.charAt(0) > '5'
          || !Character.isDigit(code.charAt(1))
          || !Character.isDigit(code.charAt(2))) {
        throw new IllegalArgumentException("invalid status code");
      }
      lengthFields.reset();
      return super.createMessage(initialLine);
    }

    @Override
    protected AsciiString splitHeaderName(byte[] sb, int start, int length) {
      return lengthFields.count(super.splitHeaderName(sb, start, length));
    }

    @Override
    protected boolean isContentAlwaysEmpty(HttpMessage msg) {
      lengthFields.check(); // called once the head is read, inside the decoder's failure handling
      if (msg instanceof HttpResponse response) {
        int code = response.status().code();
        if (code < 200) {
          return true; // every 1xx, 101 included: the proxy never asks to switch protocols
        }
        if (HttpMethod.HEAD.equals(methods.poll())) {
          return true;
        }
      }
      return super.isContentAlwaysEmpty(msg);
    }

    @Override
    protected boolean isSwitchingToNonHttp1Protocol(HttpResponse msg) {
      // Netty's decoder then passes every later byte on as a ByteBuf (its UPGRADED state).
      if (msg.status().code() == 101 && upgradeSent) {
        switched = true;
        return true;
      }
      return false;
    }
  }
}
