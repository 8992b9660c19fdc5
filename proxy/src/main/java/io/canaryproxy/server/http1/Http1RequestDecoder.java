package io.canaryproxy.server.http1;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.ChunkedBodyValidator;
import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.http1.Http1RequestHead;
import io.canaryproxy.http1.Rejection;
import io.canaryproxy.http1.RequestHeadParser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The client side's HTTP/1.1 request decoder: parses each request head in place ({@link
 * RequestHeadParser}, every refusal of the README's table with its status) and hands on an {@link
 * Http1Head}, then the body as retained slices of the received bytes (a chunked body de-chunked
 * while {@link ChunkedBodyValidator} checks its framing, never buffered), then {@link End}. A
 * refused request becomes a {@link RejectedRequest}, after which nothing more is read from the
 * connection. A started head must be complete within the request-header timeout, and a body may not
 * pause for longer than the request-body timeout, both counted only while the proxy reads.
 *
 * <p>After a request that carries {@code Upgrade} it holds back what follows until the adapter says
 * how the request was answered ({@link RequestFraming}); after a {@code 101} it passes every byte
 * on as a plain {@code ByteBuf}.
 */
public final class Http1RequestDecoder extends ByteToMessageDecoder implements RequestFraming {
  /** Ends a request's body (also a request without one): the next message is a new request. */
  public enum End {
    INSTANCE
  }

  private enum State {
    HEAD,
    LENGTH_BODY,
    CHUNKED_BODY,
    REJECTED
  }

  private final RequestHeadParser parser;
  private final ChunkedBodyValidator chunks;
  private final HeadFieldIterator fieldIterator = Http1Head.newIterator();

  /**
   * The head of an exchange that is over, reset for the next request instead of a new one ({@link
   * #recycle}); {@code null} when none.
   */
  private Http1Head spare;

  /** True while decoding what was held back, on the stack of the exchange that just ended. */
  private boolean redecoding;

  private final long headerTimeoutNanos;
  private final long bodyTimeoutNanos;
  private final Runnable onHeaderTimeout = this::headerTimedOut;
  private final Runnable onBodyTimeout = this::bodyTimedOut;
  private ChannelHandlerContext ctx;

  private State state = State.HEAD;
  private long remaining;

  /** Bytes of a head (not only empty lines) arrived and its end did not. */
  private boolean headStarted;

  /** The request being read carries {@code Upgrade}: hold what follows its end. */
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
  public Http1RequestDecoder(LimitsConfig limits, long headerTimeoutNanos, long bodyTimeoutNanos) {
    this.parser = new RequestHeadParser(limits);
    this.chunks = new ChunkedBodyValidator(limits);
    this.headerTimeoutNanos = headerTimeoutNanos;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (raw) {
      if (in.isReadable()) {
        out.add(in.readRetainedSlice(in.readableBytes()));
      }
      return;
    }
    if (state == State.REJECTED) {
      in.skipBytes(in.readableBytes());
      return;
    }
    while (!holding && in.isReadable() && state != State.REJECTED) {
      boolean progress =
          switch (state) {
            case HEAD -> head(in, out);
            case LENGTH_BODY -> lengthBody(in, out);
            case CHUNKED_BODY -> chunkedBody(in, out);
            case REJECTED -> false;
          };
      if (!progress) {
        break;
      }
    }
    if (state == State.LENGTH_BODY || state == State.CHUNKED_BODY) {
      if (bodyTimer == null && bodyTimeoutNanos > 0) {
        // A body is still to come: most bodies arrive with their head and need no timer.
        lastBodyReadNanos = ctx.executor().ticker().nanoTime();
        bodyTimer = ctx.executor().schedule(onBodyTimeout, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
      }
    } else if (state == State.HEAD
        && headStarted
        && headerTimer == null
        && headerTimeoutNanos > 0
        && !holding) {
      // Most heads arrive in one read and are decoded above; only a head still incomplete needs a
      // timer.
      headerTimer =
          ctx.executor().schedule(onHeaderTimeout, headerTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /** Parses a head; returns false when more bytes are needed. */
  private boolean head(ByteBuf in, List<Object> out) {
    headStarted = true;
    int from = in.readerIndex();
    ByteBuf bytes = HeadCopy.of(in); // cheaper to read byte by byte
    RequestHeadParser.Result r = parser.parse(bytes);
    if (bytes != in) {
      in.readerIndex(from + bytes.readerIndex()); // the empty lines the parser skipped
    }
    if (r == RequestHeadParser.Result.INCOMPLETE) {
      return false;
    }
    if (r == RequestHeadParser.Result.REJECTED) {
      reject(parser.rejection(), in, out);
      return false;
    }
    Http1RequestHead h = parser.head();
    long bodyLength =
        switch (h.framing()) {
          case CHUNKED -> -1;
          // A legacy WebSocket handshake's implied 8-byte body is not one: as nginx reads it.
          case LENGTH -> h.lengthImplied() ? 0 : h.contentLength();
          case NONE -> 0;
        };
    Http1Head head;
    if (spare != null && !redecoding) {
      head = spare.reset(h, in, bodyLength);
      spare = null;
    } else {
      head = Http1Head.of(h, in, bodyLength, fieldIterator);
    }
    in.skipBytes(h.length());
    endOfHead();
    upgradeRequest = head.upgrade();
    out.add(head);
    if (bodyLength < 0) {
      chunks.start(h.headerBytes());
      state = State.CHUNKED_BODY;
    } else if (bodyLength > 0) {
      remaining = bodyLength;
      state = State.LENGTH_BODY;
    } else {
      endOfRequest(out);
    }
    return true;
  }

  private boolean lengthBody(ByteBuf in, List<Object> out) {
    lastBodyReadNanos = ctx.executor().ticker().nanoTime();
    int take = (int) Math.min(remaining, in.readableBytes());
    out.add(in.readRetainedSlice(take));
    remaining -= take;
    if (remaining == 0) {
      endOfRequest(out);
    }
    return true;
  }

  private boolean chunkedBody(ByteBuf in, List<Object> out) {
    lastBodyReadNanos = ctx.executor().ticker().nanoTime();
    int used = chunks.feedPiece(in);
    if (chunks.state() == ChunkedBodyValidator.State.REJECTED) {
      reject(chunks.rejection(), in, out);
      return false;
    }
    if (chunks.dataLength() > 0) {
      out.add(in.retainedSlice(in.readerIndex() + chunks.dataOffset(), chunks.dataLength()));
    }
    in.skipBytes(used);
    if (chunks.state() == ChunkedBodyValidator.State.DONE) {
      endOfRequest(out);
    }
    return used > 0;
  }

  private void endOfRequest(List<Object> out) {
    out.add(End.INSTANCE);
    state = State.HEAD;
    // Nothing after the end of an upgrade request is read until its answer.
    holding = upgradeRequest;
    upgradeRequest = false;
    cancelBodyTimer();
  }

  private void reject(Rejection r, ByteBuf in, List<Object> out) {
    in.skipBytes(in.readableBytes());
    out.add(rejected(r.status(), r.reason()));
  }

  /** Stops decoding for good and returns the answer to hand on. */
  private RejectedRequest rejected(int status, String reason) {
    state = State.REJECTED;
    endOfHead();
    cancelBodyTimer();
    ctx.channel().config().setAutoRead(false);
    return new RejectedRequest(HttpResponseStatus.valueOf(status), reason);
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
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (raw || holding) {
      decode(ctx, in, out); // the client closed: raw bytes still go on; held ones are dropped
      return;
    }
    decode(ctx, in, out);
    // The client closed in the middle of a request: it is not forwarded as if complete.
    if (state == State.LENGTH_BODY || state == State.CHUNKED_BODY) {
      out.add(rejected(400, "the connection closed before the end of the request body"));
    } else if (state == State.HEAD && headStarted) {
      out.add(rejected(400, "the connection closed before the end of the request head"));
    }
  }

  @Override
  public boolean holding() {
    return holding;
  }

  /**
   * Takes back the head of an exchange that is over (nothing holds it any more), to be reset for a
   * later request read from the connection: one head a connection instead of one a request. It is
   * not used for a request decoded while the ended exchange's calls may still be on the stack
   * ({@link #resume} after a declined upgrade).
   */
  @Override
  public void recycle(Http1Head head) {
    spare = head;
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
    redecoding = true;
    try {
      channelRead(ctx, Unpooled.EMPTY_BUFFER);
      channelReadComplete(ctx);
    } catch (Exception e) {
      ctx.fireExceptionCaught(e);
    } finally {
      redecoding = false;
    }
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
    if (state != State.HEAD || !headStarted) {
      return;
    }
    if (!ctx.channel().config().isAutoRead()) {
      // The proxy itself stopped reading (answers are queued, or the backend is slow to take a
      // body): the client is not late, and its full allowance starts again.
      headerTimer =
          ctx.executor().schedule(onHeaderTimeout, headerTimeoutNanos, TimeUnit.NANOSECONDS);
      return;
    }
    ctx.fireChannelRead(rejected(408, "request head not received in time"));
  }

  private void bodyTimedOut() {
    bodyTimer = null;
    if (state != State.LENGTH_BODY && state != State.CHUNKED_BODY) {
      return;
    }
    long now = ctx.executor().ticker().nanoTime();
    if (!ctx.channel().config().isAutoRead()) {
      lastBodyReadNanos = now; // the proxy is not reading: the client cannot be late
    }
    long idle = now - lastBodyReadNanos;
    if (idle >= bodyTimeoutNanos) {
      ctx.fireChannelRead(rejected(408, "request body not received in time"));
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
    headStarted = false;
    if (headerTimer != null) {
      headerTimer.cancel(false);
      headerTimer = null;
    }
  }
}
