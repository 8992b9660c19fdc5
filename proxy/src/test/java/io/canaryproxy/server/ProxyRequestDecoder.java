package io.canaryproxy.server;

import io.canaryproxy.server.http1.RequestFraming;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderResult;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AsciiString;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Netty's request decoder, plus checks it does not make: the request line is checked strictly
 * ({@link RequestLines}); a request head containing obsolete line folding (RFC 9112 §5.2: a server
 * must reject it or replace it; we reject) is marked as a failed decode; and a request head that
 * has started to arrive must be complete within the request-header timeout, counted only while the
 * connection is being read (a pipelined head that waits because the proxy paused reading is not the
 * client's delay). A request body may not pause for longer than the request-body timeout either,
 * also counted only while the proxy reads.
 *
 * <p>After a request that carries {@code Upgrade} it holds back what follows until the adapter says
 * how the request was answered ({@link RequestFraming}); after a {@code 101} it passes every byte
 * on as a plain {@code ByteBuf}.
 */
final class ProxyRequestDecoder extends HttpRequestDecoder implements RequestFraming {
  private final long headerTimeoutNanos;
  private final long bodyTimeoutNanos;
  private final Runnable onHeaderTimeout = this::headerTimedOut;
  private final Runnable onBodyTimeout = this::bodyTimedOut;
  private final LengthFields lengthFields = new LengthFields();
  private ChannelHandlerContext ctx;

  /** True between requests and while a head is read; false while a body is read. */
  private boolean inHead = true;

  private boolean requestLineSeen;
  private boolean requestLineStarted;
  private boolean pendingCr;
  private boolean foldSeen;
  private boolean leadingWhitespace;
  private boolean headStarted;

  /** The request being decoded carries {@code Upgrade}: hold what follows its end. */
  private boolean upgradeRequest;

  /** Bytes after an upgrade request are held back (not decoded) until its answer. */
  private boolean holding;

  /** The connection switched protocols: bytes pass through undecoded. */
  private boolean raw;

  /** True inside {@link #channelRead}, whose decode loop picks up a change of mode by itself. */
  private boolean inRead;

  private ScheduledFuture<?> headerTimer;
  private ScheduledFuture<?> bodyTimer;

  /** When the last body bytes arrived, on the event loop's ticker. */
  private long lastBodyReadNanos;

  /**
   * @param headerTimeoutNanos a started head must be complete within this, in nanoseconds; 0: never
   * @param bodyTimeoutNanos longest pause between body reads, in nanoseconds; 0: never
   */
  ProxyRequestDecoder(HttpDecoderConfig config, long headerTimeoutNanos, long bodyTimeoutNanos) {
    super(config);
    this.headerTimeoutNanos = headerTimeoutNanos;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buffer, List<Object> out)
      throws Exception {
    if (raw) {
      if (buffer.isReadable()) {
        out.add(buffer.readRetainedSlice(buffer.readableBytes()));
      }
      return;
    }
    if (holding) {
      return; // left in the cumulation, unread: the connection is not read meanwhile
    }
    if (inHead && buffer.isReadable()) {
      headStarted = true;
      if (!requestLineStarted) {
        checkRequestLineStart(buffer);
      }
      foldSeen |= scanForObsFold(buffer);
    } else if (!inHead) {
      lastBodyReadNanos = ctx.executor().ticker().nanoTime();
    }
    int before = out.size();
    super.decode(ctx, buffer, out);
    for (int i = before; i < out.size(); i++) {
      Object msg = out.get(i);
      if (msg instanceof HttpRequest request) {
        endOfHead();
        upgradeRequest = request.headers().contains(HttpHeaderNames.UPGRADE);
        if (foldSeen && request.decoderResult().isSuccess()) {
          request.setDecoderResult(DecoderResult.failure(new ObsFoldException()));
        }
        if (leadingWhitespace && request.decoderResult().isSuccess()) {
          request.setDecoderResult(
              DecoderResult.failure(
                  new IllegalArgumentException("whitespace before the request line")));
        }
        foldSeen = false;
        leadingWhitespace = false;
      }
      if (msg instanceof LastHttpContent) {
        // One decode call never reads past the end of a request, so nothing after it was taken.
        holding = upgradeRequest;
        upgradeRequest = false;
        inHead = true;
        requestLineSeen = false;
        requestLineStarted = false;
        cancelBodyTimer();
      }
    }
    if (!inHead && bodyTimer == null && bodyTimeoutNanos > 0) {
      // A body is still to come: most bodies arrive with their head and need no timer.
      lastBodyReadNanos = ctx.executor().ticker().nanoTime();
      bodyTimer = ctx.executor().schedule(onBodyTimeout, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
    }
    // Most heads arrive in one read and are decoded above; only a head still incomplete needs a
    // timer.
    if (inHead && headStarted && headerTimer == null && headerTimeoutNanos > 0) {
      headerTimer =
          ctx.executor().schedule(onHeaderTimeout, headerTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    inRead = true;
    try {
      super.channelRead(ctx, msg);
    } finally {
      inRead = false;
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (holding) {
      // Not super's: it would ask for another read when this one produced nothing, and bytes held
      // back must not grow while the answer is awaited.
      ctx.fireChannelReadComplete();
      return;
    }
    super.channelReadComplete(ctx);
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
      throws Exception {
    if (raw || holding) {
      decode(ctx, in, out); // the client closed: raw bytes still go on; held ones are dropped
      return;
    }
    super.decodeLast(ctx, in, out);
  }

  @Override
  public boolean holding() {
    return holding;
  }

  @Override
  public void resume() {
    holding = false;
    redecode();
  }

  @Override
  public void passThrough() {
    holding = false;
    raw = true;
    redecode();
  }

  /** Decodes what was held, unless a decode loop on the stack will reach it anyway. */
  private void redecode() {
    if (inRead || ctx == null || !internalBuffer().isReadable()) {
      return;
    }
    try {
      channelRead(ctx, Unpooled.EMPTY_BUFFER);
      channelReadComplete(ctx);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    }
  }

  @Override
  protected HttpMessage createMessage(String[] initialLine) throws Exception {
    // A failure thrown here becomes the message's decoder result, which the guard answers with 400.
    RequestLines.check(initialLine[0], initialLine[1], initialLine[2]);
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
    return super.isContentAlwaysEmpty(msg);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    super.handlerAdded(ctx);
  }

  @Override
  protected void handlerRemoved0(ChannelHandlerContext ctx) throws Exception {
    endOfHead();
    cancelBodyTimer();
    super.handlerRemoved0(ctx);
  }

  private void headerTimedOut() {
    headerTimer = null;
    if (!ctx.channel().config().isAutoRead()) {
      // The proxy itself stopped reading (answers are queued, or the backend is slow to take a
      // body): the client is not late, and its full allowance starts again.
      headerTimer =
          ctx.executor().schedule(onHeaderTimeout, headerTimeoutNanos, TimeUnit.NANOSECONDS);
      return;
    }
    ctx.fireUserEventTriggered(RequestHeaderTimeout.INSTANCE);
  }

  private void bodyTimedOut() {
    bodyTimer = null;
    if (inHead) {
      return;
    }
    long now = ctx.executor().ticker().nanoTime();
    if (!ctx.channel().config().isAutoRead()) {
      lastBodyReadNanos = now; // the proxy is not reading: the client cannot be late
    }
    long idle = now - lastBodyReadNanos;
    if (idle >= bodyTimeoutNanos) {
      ctx.fireUserEventTriggered(RequestBodyTimeout.INSTANCE);
      return;
    }
    bodyTimer =
        ctx.executor().schedule(onBodyTimeout, bodyTimeoutNanos - idle, TimeUnit.NANOSECONDS);
  }

  private void cancelBodyTimer() {
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
  }

  private void endOfHead() {
    inHead = false;
    headStarted = false;
    if (headerTimer != null) {
      headerTimer.cancel(false);
      headerTimer = null;
    }
  }

  /**
   * Notes whether anything but empty lines (CRLF, which a server should skip: RFC 9112 §2.2) comes
   * before the request line: whitespace, a control byte, or a bare CR or LF (RFC 9112 §2.2:
   * invalid). Netty's decoder skips all of those and would read {@code " GET"} or {@code "\rGET"}
   * as {@code GET}; we answer 400, as HAProxy does. A CR at the end of one read is matched with the
   * next.
   */
  private void checkRequestLineStart(ByteBuf buf) {
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    if (pendingCr && i < end) {
      pendingCr = false;
      if (buf.getByte(i) == '\n') {
        i++; // the decoder consumed the CR of this CRLF in the previous read
      }
    }
    while (i < end) {
      byte b = buf.getByte(i);
      if (b == '\r') {
        if (i + 1 == end) {
          pendingCr = true; // decided by the next read
          return;
        }
        if (buf.getByte(i + 1) == '\n') {
          i += 2;
          continue;
        }
      }
      requestLineStarted = true;
      leadingWhitespace = b <= ' ' || b == 0x7f;
      return;
    }
  }

  /**
   * Scans the unconsumed part of a request head for a header line that starts with a space or tab.
   * Netty consumes a head line by line, so the reader index is always at the start of a line.
   */
  private boolean scanForObsFold(ByteBuf buf) {
    boolean lineStart = true;
    boolean lineEmpty = true;
    for (int i = buf.readerIndex(), end = buf.writerIndex(); i < end; i++) {
      byte b = buf.getByte(i);
      if (b == '\n') {
        if (lineEmpty && requestLineSeen) {
          return false; // the blank line that ends the head
        }
        if (!lineEmpty) {
          requestLineSeen = true;
        }
        lineStart = true;
        lineEmpty = true;
        continue;
      }
      if (lineStart && requestLineSeen && (b == ' ' || b == '\t')) {
        return true;
      }
      lineStart = false;
      if (b != '\r') {
        lineEmpty = false;
      }
    }
    return false;
  }

  /** Fired down the pipeline when a started request head did not complete in time. */
  enum RequestHeaderTimeout {
    INSTANCE
  }

  /** Fired down the pipeline when a request body paused for longer than its timeout. */
  enum RequestBodyTimeout {
    INSTANCE
  }

  /** The decode failure recorded on a request whose head used obsolete line folding. */
  static final class ObsFoldException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    ObsFoldException() {
      super("obsolete line folding in a header field (RFC 9112 section 5.2)");
    }
  }
}
