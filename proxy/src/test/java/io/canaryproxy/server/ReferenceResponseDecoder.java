package io.canaryproxy.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import java.util.List;

/**
 * The backend response decoder of the old path, kept as the reference for the in-place one: Netty's
 * {@code HttpResponseDecoder} with the configuration and the strict checks {@code BackendCodec}
 * added to it (status line {@code HTTP/1.x NNN}, code 100..599, junk fails at once, one
 * Content-Length in every version, HEAD answers without a body, a {@code 101} read as a bodiless
 * interim response unless an upgrade was asked for).
 */
public final class ReferenceResponseDecoder extends HttpResponseDecoder {
  private static final byte[] VERSION_PREFIX = {'H', 'T', 'T', 'P', '/', '1', '.'};

  private final LengthFields lengthFields = new LengthFields();
  private final boolean answersHead;
  private final boolean upgradeSent;
  private boolean atMessageStart = true;
  private boolean broken;

  /** The old path's configuration for backend connections. */
  public static HttpDecoderConfig config() {
    return new HttpDecoderConfig()
        .setMaxHeaderSize(64 * 1024)
        .setMaxChunkSize(64 * 1024)
        .setAllowDuplicateContentLengths(false)
        .setUseRfc9112TransferEncoding(true);
  }

  /**
   * @param answersHead every response answers a HEAD request
   * @param upgradeSent the request asked to upgrade (a 101 switches protocols)
   */
  public ReferenceResponseDecoder(boolean answersHead, boolean upgradeSent) {
    super(config());
    this.answersHead = answersHead;
    this.upgradeSent = upgradeSent;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    if (broken) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (atMessageStart && !startsLikeStatusLine(in)) {
      broken = true;
      in.skipBytes(in.readableBytes());
      DefaultFullHttpResponse invalid =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_GATEWAY, Unpooled.EMPTY_BUFFER);
      invalid.setDecoderResult(DecoderResult.failure(new IllegalArgumentException("not HTTP/1.x")));
      out.add(invalid);
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

  private static boolean startsLikeStatusLine(ByteBuf in) {
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
    lengthFields.check();
    if (msg instanceof HttpResponse response) {
      int code = response.status().code();
      if (code < 200) {
        return true;
      }
      if (answersHead) {
        return true;
      }
    }
    return super.isContentAlwaysEmpty(msg);
  }

  @Override
  protected boolean isSwitchingToNonHttp1Protocol(HttpResponse msg) {
    return msg.status().code() == 101 && upgradeSent;
  }
}
