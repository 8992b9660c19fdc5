package io.canaryproxy.server.http2;

import io.canaryproxy.pool.MultiplexedConnection;
import io.canaryproxy.pool.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.VoidChannelPromise;
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
import io.netty.handler.ssl.SslHandler;
import io.netty.util.collection.IntObjectHashMap;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP/2 backend connection ({@code backends.NAME.protocol: h2c | h2}): Netty's connection
 * handler (frames, HPACK, flow control) with no child channel and no frame object. Each exchange's
 * stream is an {@link Http2BackendStream}, kept as a property of Netty's stream once it exists, fed
 * by the frame listener and written through the encoder (which holds streams past the peer's limit
 * back rather than failing them: the pool opens streams before the peer's first SETTINGS says how
 * many it takes). Tells the pool's {@link MultiplexedConnection} each SETTINGS of the peer (the
 * first is its connection preface) and a GOAWAY, as events it reads without codec types. Besides:
 * opens the connection's receive window to {@code connectionWindowBytes} at the start, so that one
 * stream whose client reads slowly does not stall the others; keeps the protocol error for which
 * the codec ends the connection (a CONTINUATION flood, a header list far past the limit, ...), so
 * that its streams fail as a bad response rather than a lost connection; and, when a stream was
 * given up before its end, checks with a PING that the backend still answers ({@link #checkAlive}).
 * Event-loop only.
 */
final class Http2BackendConnectionHandler extends Http2ConnectionHandler {
  private static final Logger log = LoggerFactory.getLogger(Http2BackendConnectionHandler.class);

  /** The opaque data of the proxy's liveness PING ("canary"). */
  private static final long PING_DATA = 0x63616e617279L;

  private final int connectionWindowBytes;
  private final long pingTimeoutMillis;
  private final Http2Connection.PropertyKey streamKey;

  /** Streams whose HEADERS the encoder holds back under the peer's limit, by id. */
  private final IntObjectHashMap<Http2BackendStream> heldBack = new IntObjectHashMap<>(4);

  /** Streams that received HEADERS or DATA in the current read burst. */
  private final ArrayList<Http2BackendStream> readThisBurst = new ArrayList<>();

  private final Http2FlushOnce flushes = new Http2FlushOnce(this);

  private ChannelHandlerContext ctx;
  private ChannelPromise voidPromise;
  private boolean tls;
  private boolean windowOpened;
  private Http2Exception protocolError;
  private ScheduledFuture<?> pingTimer;

  /** The stream whose HEADERS are being written, until Netty created (or held back) its stream. */
  private Http2BackendStream opening;

  private int openingId;

  Http2BackendConnectionHandler(
      Http2ConnectionDecoder decoder,
      Http2ConnectionEncoder encoder,
      Http2Settings settings,
      int connectionWindowBytes,
      long pingTimeoutMillis) {
    super(decoder, encoder, settings);
    this.connectionWindowBytes = connectionWindowBytes;
    this.pingTimeoutMillis = pingTimeoutMillis;
    this.streamKey = connection().newKey();
    decoder.frameListener(new Http2BackendFrameListener(this));
    connection().addListener(new StreamEvents());
    connection().remote().flowController().listener(this::writabilityChanged);
  }

  /**
   * The carrier of a new exchange's stream on this connection, reporting to {@code pooled}; {@code
   * null} when the connection can take no new stream.
   */
  PooledConnection.Stream newStream(PooledConnection pooled) {
    if (ctx == null || !ctx.channel().isActive() || !mayOpenStream()) {
      return null;
    }
    return new Http2BackendStream(this, pooled);
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) throws Exception {
    this.ctx = ctx;
    this.voidPromise = new VoidChannelPromise(ctx.channel(), false);
    this.tls = ctx.pipeline().get(SslHandler.class) != null;
    flushes.context(ctx);
    super.handlerAdded(ctx); // over TLS, added after the handshake: sends the preface now
    if (ctx.channel().isActive()) {
      openWindow();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) throws Exception {
    super.channelActive(ctx); // sends the preface (and SETTINGS) first
    openWindow();
  }

  private void openWindow() throws Http2Exception {
    if (windowOpened) {
      return;
    }
    windowOpened = true;
    Http2Limits.openConnectionWindow(this, ctx, connectionWindowBytes);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) throws Exception {
    if (pingTimer != null) {
      pingTimer.cancel(false);
      pingTimer = null;
    }
    super.channelInactive(ctx); // closes every stream: each one's exchange hears of it
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    for (int i = 0; i < readThisBurst.size(); i++) {
      readThisBurst.get(i).readComplete();
    }
    readThisBurst.clear();
    super.channelReadComplete(ctx);
  }

  @Override
  protected void onConnectionError(
      ChannelHandlerContext ctx, boolean outbound, Throwable cause, Http2Exception http2Ex) {
    if (!outbound && http2Ex != null) {
      // Kept before the codec answers it (GOAWAY with the error code, then close): the streams
      // closed then end as a bad response.
      protocolError = http2Ex;
    }
    super.onConnectionError(ctx, outbound, cause, http2Ex);
  }

  @Override
  protected void onStreamError(
      ChannelHandlerContext ctx,
      boolean outbound,
      Throwable cause,
      Http2Exception.StreamException http2Ex) {
    // A PROTOCOL_ERROR on what the backend sent on a stream (RFC 9113 §8.1.1, §8.2). Errors of
    // the proxy's own writes are outbound and only reset the stream.
    if (!outbound && http2Ex.error() == Http2Error.PROTOCOL_ERROR) {
      Http2BackendStream s = state(connection().stream(http2Ex.streamId()));
      if (s != null) {
        s.invalid(http2Ex);
      }
    }
    super.onStreamError(ctx, outbound, cause, http2Ex);
  }

  // ---- what the streams use ----

  boolean tls() {
    return tls;
  }

  /** True while new streams may be opened: no GOAWAY arrived. */
  boolean mayOpenStream() {
    return !connection().goAwayReceived();
  }

  /**
   * Writes the HEADERS opening {@code s}'s stream; returns its id. The encoder creates Netty's
   * stream now, or holds it back under the peer's limit until another stream closes.
   */
  int openStream(Http2BackendStream s, Http2Headers headers, boolean endStream) {
    int id = connection().local().incrementAndGetNextStreamId();
    ChannelPromise promise = ctx.newPromise();
    opening = s;
    openingId = id;
    try {
      encoder().writeHeaders(ctx, id, headers, 0, endStream, promise);
    } finally {
      opening = null;
    }
    if (connection().stream(id) == null) {
      // Held back (or failed at once): the outcome of the HEADERS is the stream's to hear. A
      // stream created at once (the usual case) has nothing to learn from it: a failed write
      // resets it in Netty's handler, and its closing tells it (Http2BackendStream.closed).
      if (!promise.isDone()) {
        heldBack.put(id, s);
      }
      promise.addListener(s);
    }
    return id;
  }

  /** Forgets a held-back stream that will not be created. */
  void forget(int id) {
    heldBack.remove(id);
  }

  void writeHeaders(int id, Http2Headers headers, boolean endStream) {
    encoder().writeHeaders(ctx, id, headers, 0, endStream, promise(endStream));
  }

  /** Writes {@code data} (ownership passes), as the flow control allows. */
  void writeData(int id, ByteBuf data, boolean endStream) {
    encoder().writeData(ctx, id, data, 0, endStream, promise(endStream));
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
  void flushConnection() {
    flushes.request();
  }

  @Override
  public void flush(ChannelHandlerContext ctx) {
    flushes.flushed();
    super.flush(ctx);
  }

  boolean channelWritable() {
    return ctx.channel().isWritable();
  }

  /** True while {@code stream}'s window and the connection can take more request bytes. */
  boolean isWritable(Http2Stream stream) {
    return connection().remote().flowController().isWritable(stream);
  }

  /** Returns {@code bytes} of {@code stream}'s response to the backend's windows. */
  void consumed(Http2Stream stream, int bytes) {
    if (bytes <= 0 || stream == null) {
      return;
    }
    try {
      if (connection().local().flowController().consumeBytes(stream, bytes)) {
        flush(ctx);
      }
    } catch (Http2Exception e) {
      onError(ctx, true, e);
    }
  }

  /** Resets the stream {@code id} ({@code stream} once created) with CANCEL, unless closed. */
  void reset(int id, Http2Stream stream) {
    if (!ctx.channel().isActive()) {
      return;
    }
    if (stream == null) {
      // Held back by the encoder: dropped there, nothing was sent.
      heldBack.remove(id);
      encoder().writeRstStream(ctx, id, Http2Error.CANCEL.code(), ctx.newPromise());
      return;
    }
    if (stream.state() != Http2Stream.State.CLOSED) {
      flush(ctx); // what was written before the reset leaves first (a reset drops what waits)
      resetStream(ctx, id, Http2Error.CANCEL.code(), ctx.newPromise());
      ctx.flush();
    }
  }

  /** Runs {@code task} on the event loop later: not inside the caller's own write. */
  void executeLater(Runnable task) {
    ctx.executor().execute(task);
  }

  /** {@code s} was read in this burst: it hears of the burst's end. */
  void readIn(Http2BackendStream s) {
    if (!s.markRead()) {
      readThisBurst.add(s);
    }
  }

  /**
   * A stream was given up before its response ended (a response timeout, a client gone): sends a
   * PING unless one is out, and closes the connection when its answer does not come within the PING
   * timeout, so that a backend that stopped answering altogether (a dead peer, a half-open
   * connection) is not given the next streams too. A backend that is only slow on one stream
   * answers the PING and keeps its connection.
   */
  void checkAlive() {
    if (pingTimer != null || ctx == null || !ctx.channel().isActive()) {
      return;
    }
    encoder().writePing(ctx, false, PING_DATA, ctx.newPromise());
    flush(ctx);
    pingTimer =
        ctx.executor().schedule(this::noPingAnswer, pingTimeoutMillis, TimeUnit.MILLISECONDS);
  }

  private void noPingAnswer() {
    pingTimer = null;
    log.debug(
        "[{}] h2 backend did not answer a PING within {} ms: closed",
        ctx.channel().id(),
        pingTimeoutMillis);
    ctx.close();
  }

  /** The stream state of {@code stream}, or {@code null} when it has none (yet, or any more). */
  Http2BackendStream state(Http2Stream stream) {
    return stream == null ? null : stream.getProperty(streamKey);
  }

  /** The backend answered a PING with {@code data}: the liveness check, if it is ours, passed. */
  void pingAnswered(long data) {
    if (data == PING_DATA && pingTimer != null) {
      pingTimer.cancel(false);
      pingTimer = null;
    }
  }

  private void writabilityChanged(Http2Stream stream) {
    Http2BackendStream s = state(stream);
    if (s != null) {
      s.writabilityChanged();
    }
  }

  /** Streams created (a held-back one included) and closed. */
  private final class StreamEvents extends Http2ConnectionAdapter {
    @Override
    public void onStreamAdded(Http2Stream stream) {
      Http2BackendStream s = opening;
      if (s == null || openingId != stream.id()) {
        s = heldBack.remove(stream.id());
      }
      if (s != null) {
        stream.setProperty(streamKey, s);
        s.started(stream);
      }
    }

    @Override
    public void onStreamClosed(Http2Stream stream) {
      Http2BackendStream s = stream.removeProperty(streamKey);
      if (s != null) {
        Http2Connection c = connection();
        boolean aboveGoAway = c.goAwayReceived() && stream.id() > c.local().lastStreamKnownByPeer();
        s.closed(aboveGoAway, protocolError);
      }
    }
  }
}
