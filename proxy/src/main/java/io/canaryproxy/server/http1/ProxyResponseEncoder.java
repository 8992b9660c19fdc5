package io.canaryproxy.server.http1;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseEncoder;

/**
 * Netty's response encoder, told by the forwarder when the response it is about to write answers a
 * HEAD request: such a response keeps its framing headers but carries no body (RFC 9110 §9.3.2), so
 * no chunk terminator may be written for it. Responses on a connection are written in request
 * order, one at a time, so one flag suffices. Once the connection switched protocols (a {@code 101}
 * was written) it passes every byte on as it is.
 *
 * <p>A backend's HTTP/1.1 head ({@link BackendHead}) is written from its own bytes ({@link
 * Http1BackendResponse}: status line, kept field lines, added fields); the encoder only follows its
 * status and framing to encode the body, exactly as for a head it serialised itself. A whole
 * response with a body of known length is written by {@link #writeWhole} without Netty's encoder
 * (the head and a small body in one reused buffer); another whole response ({@link
 * BackendHead.Whole}: head, last piece, end: chunked, or bodiless) is one message, whose small body
 * Netty's encoder puts in the head's buffer.
 */
public final class ProxyResponseEncoder extends HttpResponseEncoder {
  /**
   * A whole response's body up to this many bytes shares the head's buffer; a longer one follows.
   */
  private static final int EMBED_BODY_BYTES = 1024;

  private boolean headResponse;
  private boolean passThrough;
  private ChannelHandlerContext ctx;

  /** The backend head whose status line was just written: its fields follow. */
  private Http1BackendResponse writing;

  /** Marks whether the next response head written answers a HEAD request. */
  public void nextResponseAnswersHead(boolean head) {
    this.headResponse = head;
  }

  /** The connection became a tunnel: from now on, writes are bytes that need no encoding. */
  public void passThrough() {
    this.passThrough = true;
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  /**
   * True when a backend's whole response with this status and framing is written by {@link
   * #writeWhole}: not chunked, and with a body (not the answer to a HEAD, nor 1xx, 204, 205, 304:
   * those the encoder below frames and sanitizes).
   */
  boolean writesWhole(int status, boolean chunked) {
    return !chunked
        && !headResponse
        && !passThrough
        && status >= 200
        && status != 204
        && status != 205
        && status != 304;
  }

  /**
   * Writes a backend's whole response as the encoder below would (the status line, the head's
   * fields, the blank line, the body after them) without building a Netty message for it: a body of
   * up to {@link #EMBED_BODY_BYTES} is copied after the head, a longer one follows it. The head
   * goes to the loop's reused buffer ({@link LoopBuffer}). Takes over {@code piece}. Only when
   * {@link #writesWhole} said so.
   */
  void writeWhole(Http1BackendResponse head, ByteBuf piece) {
    int n = piece.readableBytes();
    boolean embed = n <= EMBED_BODY_BYTES;
    ByteBuf buf;
    try {
      buf = LoopBuffer.forResponse(ctx.alloc(), head.sizeHint() + (embed ? n : 0));
      try {
        head.writeStatusLine(buf);
        head.writeFields(buf);
        buf.writeByte('\r').writeByte('\n');
        if (embed) {
          buf.writeBytes(piece, piece.readerIndex(), n);
        }
      } catch (RuntimeException e) {
        buf.release();
        throw e;
      }
    } catch (RuntimeException e) {
      piece.release();
      throw e;
    }
    if (embed) {
      piece.release();
      ctx.write(buf, ctx.voidPromise());
    } else {
      ctx.write(buf, ctx.voidPromise());
      ctx.write(piece, ctx.voidPromise());
    }
  }

  @Override
  public boolean acceptOutboundMessage(Object msg) throws Exception {
    return !passThrough && super.acceptOutboundMessage(msg);
  }

  @Override
  protected boolean isContentAlwaysEmpty(HttpResponse msg) {
    return headResponse || super.isContentAlwaysEmpty(msg);
  }

  @Override
  protected void encodeInitialLine(ByteBuf buf, HttpResponse response) throws Exception {
    if (response instanceof BackendHead b) {
      writing = b.view();
      writing.writeStatusLine(buf);
      return;
    }
    writing = null;
    super.encodeInitialLine(buf, response);
  }

  /** As Netty's, on the backend head's fields when it is one. */
  @Override
  protected void sanitizeHeadersBeforeEncode(HttpResponse msg, boolean isAlwaysEmpty) {
    if (!(msg instanceof BackendHead b)) {
      super.sanitizeHeadersBeforeEncode(msg, isAlwaysEmpty);
      return;
    }
    if (!isAlwaysEmpty) {
      return;
    }
    int code = b.view().status();
    if (code < 200 || code == 204) {
      b.view().remove(HttpHeaderNames.CONTENT_LENGTH);
      b.view().remove(HttpHeaderNames.TRANSFER_ENCODING);
    } else if (code == 205) {
      b.view().remove(HttpHeaderNames.TRANSFER_ENCODING);
      b.view().set(HttpHeaderNames.CONTENT_LENGTH, "0");
    }
  }

  @Override
  protected void encodeHeaders(HttpHeaders headers, ByteBuf buf) {
    Http1BackendResponse v = writing;
    if (v != null) {
      writing = null;
      v.writeFields(buf);
      return;
    }
    super.encodeHeaders(headers, buf);
  }
}
