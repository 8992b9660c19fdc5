package io.canaryproxy.server.http2;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ClientOrigin;
import io.canaryproxy.forwarding.ForwardingContext;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
import io.netty.handler.codec.http2.Http2CodecUtil;
import io.netty.handler.codec.http2.Http2Connection;
import io.netty.handler.codec.http2.Http2ConnectionAdapter;
import io.netty.handler.codec.http2.Http2ConnectionDecoder;
import io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.netty.handler.codec.http2.Http2ConnectionHandler;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.timeout.IdleStateEvent;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/2 client connection of the listener: Netty's connection handler (frames, HPACK, flow
 * control, the abuse limits of {@link Http2Limits}) with no child channel and no frame object. Each
 * stream is an {@link Http2ClientStream}, kept as a property of Netty's stream, fed by {@link
 * Http2ClientFrameListener} and written through the encoder. Besides: counts the connection once
 * (its streams' forwarders do not), widens the connection's flow-control window to {@link
 * Http2Limits#connectionWindowBytes} (so that one stalled stream does not stall the others), counts
 * each GOAWAY sent for an abuse ({@link Http2Abuse}), and closes the connection when it is idle
 * with no stream open. Event-loop only.
 */
public final class Http2ClientConnectionHandler extends Http2ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Http2ClientConnectionHandler.class);

  private final ForwardingContext fc;
  private final LimitsConfig limits;
  private final int connectionWindowBytes;
  private final long bodyTimeoutNanos;
  private final Http2Connection.PropertyKey streamKey;

  /** Streams that received HEADERS or DATA in the current read burst. */
  private final ArrayList<Http2ClientStream> readThisBurst = new ArrayList<>();

  /**
   * States of closed streams, kept for the next streams (at most {@link #MAX_SPARE}): a stream's
   * state (its forwarder and exchange among it) is costlier to make than to reset.
   */
  private final ArrayDeque<Http2ClientStream> spare = new ArrayDeque<>();

  private final Http2FlushOnce flushes = new Http2FlushOnce(this);

  static final int MAX_SPARE = 16;

  private ChannelHandlerContext ctx;
  private ChannelPromise voidPromise;
  private InetAddress clientAddress;
  private String clientIp;
  private boolean counted;

  Http2ClientConnectionHandler(
      Http2ConnectionDecoder decoder,
      Http2ConnectionEncoder encoder,
      Http2Settings settings,
      ForwardingContext fc,
      LimitsConfig limits,
      int connectionWindowBytes,
      long bodyTimeoutNanos) {
    super(decoder, encoder, settings);
    this.fc = fc;
    this.limits = limits;
    this.connectionWindowBytes = connectionWindowBytes;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
    this.streamKey = connection().newKey();
    decoder.frameListener(new Http2ClientFrameListener(this));
    connection().addListener(new StreamEvents());
    connection().remote().flowController().listener(this::writabilityChanged);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    this.voidPromise = new VoidChannelPromise(ctx.channel(), false);
    flushes.context(ctx);
    super.handlerAdded(ctx);
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    flushes.flushed();
    super.flush(ctx);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    counted = true;
    fc.clientConnection(1);
    if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
      clientAddress = remote.getAddress();
      clientIp = clientAddress == null ? remote.getHostString() : clientAddress.getHostAddress();
    } else {
      clientIp = "unknown";
    }
    super.channelActive(ctx); // sends the server preface (SETTINGS) first
    Http2Limits.openConnectionWindow(this, ctx, connectionWindowBytes);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    try {
      super.channelInactive(ctx); // closes every stream: each one's exchange ends unanswered
    } finally {
      Http2ClientStream s;
      while ((s = spare.poll()) != null) {
        s.discard();
      }
      if (counted) {
        counted = false;
        fc.clientConnection(-1);
      }
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    // Each stream that was read flushes the request body it handed to its backend.
    for (int i = 0; i < readThisBurst.size(); i++) {
      readThisBurst.get(i).readComplete();
    }
    readThisBurst.clear();
    super.channelReadComplete(ctx); // and flushes what was written to the client meanwhile
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
    if (evt instanceof IdleStateEvent) {
      if (connection().numActiveStreams() == 0) {
        ctx.channel().close(); // through this handler: GOAWAY first
      }
      return;
    }
    super.userEventTriggered(ctx, evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
    if (Http2CodecUtil.getEmbeddedHttp2Exception(cause) != null) {
      // A protocol error: answered by Netty's handler (RST_STREAM, or GOAWAY and close).
      super.exceptionCaught(ctx, cause);
      return;
    }
    log.debug("[{}] h2 client connection error: {}", ctx.channel().id(), cause.toString());
    ctx.channel().close();
  }

  // ---- what the frame listener and the streams use ----

  /** The stream state of {@code stream}, or {@code null} when it has none (yet, or any more). */
  Http2ClientStream state(Http2Stream stream) {
    return stream == null ? null : stream.getProperty(streamKey);
  }

  /** Starts serving {@code stream}, whose request head arrived. */
  Http2ClientStream open(Http2Stream stream) {
    Http2ClientStream s = spare.pollLast();
    if (s == null) {
      s = new Http2ClientStream(this, fc, limits, bodyTimeoutNanos, clientAddress, clientIp);
    }
    s.start(stream);
    stream.setProperty(streamKey, s);
    return s;
  }

  /** {@code s} was read in this burst: it flushes its request body at the end of the burst. */
  void readIn(Http2ClientStream s) {
    if (!s.markRead()) {
      readThisBurst.add(s);
    }
  }

  ChannelHandlerContext context() {
    return ctx;
  }

  ClientOrigin origin() {
    return ctx.channel().attr(ClientOrigin.KEY).get();
  }

  /** Writes {@code headers} on {@code stream}, unless the stream can no longer be written. */
  void writeHeaders(Http2Stream stream, Http2Headers headers, boolean endStream) {
    if (canWrite(stream)) {
      encoder().writeHeaders(ctx, stream.id(), headers, 0, endStream, promise(endStream));
    }
  }

  /** Writes {@code data} (ownership passes) on {@code stream}, as the flow control allows. */
  void writeData(Http2Stream stream, ByteBuf data, boolean endStream) {
    if (canWrite(stream)) {
      encoder().writeData(ctx, stream.id(), data, 0, endStream, promise(endStream));
    } else {
      data.release();
    }
  }

  /** True while the proxy may still send on {@code stream}: it did not end or reset its side. */
  private static boolean canWrite(Http2Stream stream) {
    Http2Stream.State state = stream.state();
    return state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE;
  }

  /**
   * Where nothing listens, a void promise that does not report failures to the pipeline (a failed
   * write fails its stream in Netty's handler already). A write that ends a stream gets a real one:
   * Netty's handler closes the stream when it completes.
   */
  private ChannelPromise promise(boolean endStream) {
    return endStream ? ctx.newPromise() : voidPromise;
  }

  /**
   * Writes what waits (the flow controller's queue included) to the socket, in this event-loop
   * turn: once for all the streams that ask ({@link Http2FlushOnce}).
   */
  void flushClient() {
    flushes.request();
  }

  /** Resets {@code stream} with {@code error} (after what was written to it), unless closed. */
  void reset(Http2Stream stream, Http2Error error) {
    if (stream.state() != Http2Stream.State.CLOSED && ctx.channel().isActive()) {
      flush(ctx); // the answer written before the reset leaves first (a reset drops what waits)
      resetStream(ctx, stream.id(), error.code(), ctx.newPromise());
      ctx.flush();
    }
  }

  /** Returns {@code bytes} of {@code stream}'s request body to the client's windows. */
  void consumed(Http2Stream stream, int bytes) {
    if (bytes <= 0) {
      return;
    }
    try {
      if (connection().local().flowController().consumeBytes(stream, bytes)) {
        flush(ctx);
      }
    } catch (Http2Exception e) {
      onError(ctx, false, e);
    }
  }

  /** True while {@code stream}'s window and the connection can take more response bytes. */
  boolean isWritable(Http2Stream stream) {
    return connection().remote().flowController().isWritable(stream);
  }

  /** Ends the connection gracefully once its streams are done: GOAWAY first (a drain). */
  void closeGracefully() {
    ctx.channel().close();
  }

  private void writabilityChanged(Http2Stream stream) {
    Http2ClientStream s = state(stream);
    if (s != null) {
      s.writabilityChanged(isWritable(stream));
    }
  }

  /** Stream ends and the GOAWAYs the handler sends. */
  private final class StreamEvents extends Http2ConnectionAdapter {
    @Override
    public void onStreamClosed(Http2Stream stream) {
      Http2ClientStream s = stream.removeProperty(streamKey);
      if (s != null) {
        s.closed();
        if (s.reusable() && spare.size() < MAX_SPARE && ctx.channel().isActive()) {
          spare.add(s);
        } else {
          s.discard();
        }
      }
    }

    @Override
    public void onGoAwaySent(int lastStreamId, long errorCode, ByteBuf debugData) {
      String text = debugData.toString(StandardCharsets.UTF_8);
      Http2Abuse type = Http2Abuse.classify(errorCode, text);
      if (type != null) {
        log.debug("[{}] h2 GOAWAY {}: {}", ctx.channel().id(), type.tag(), text);
        fc.http2GoAway(type.tag());
      } else if (errorCode != Http2Error.NO_ERROR.code() && log.isDebugEnabled()) {
        log.debug("[{}] h2 GOAWAY {} (not counted): {}", ctx.channel().id(), errorCode, text);
      }
    }
  }
}
