package io.canaryproxy.server.http2;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.pool.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.handler.codec.http2.StreamBufferingEncoder;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayDeque;

/**
 * One exchange's stream on an HTTP/2 backend connection, without a channel: what the exchange
 * writes ({@link RequestHead}, body {@code ByteBuf}s, {@link BodyEnd}) goes out as HEADERS and DATA
 * (trailers as a last HEADERS) through the connection's encoder, and what the backend answers is
 * handed to the stream's {@link PooledConnection} as the exchange model ({@code ResponseHead}, body
 * pieces, one {@code BodyEnd} per message, or a {@link MalformedMessage}: a head without a valid
 * {@code :status}, DATA before a head, anything the codec refused on the stream, or a protocol
 * error that ended the connection). Flow control is end to end: while the exchange does not read
 * (its client is slow), what arrives is held and not returned to the backend's window, so the
 * backend stops once the stream's window is used up. A stream the backend refused unprocessed is
 * marked so, so that the request may go to another connection (RFC 9113 §8.7). Event-loop only.
 */
final class Http2BackendStream implements PooledConnection.Stream, ChannelFutureListener {
  private final Http2BackendConnectionHandler conn;
  private final PooledConnection pooled;

  /**
   * Netty's stream, once created (the encoder may hold a new stream back under the peer's limit).
   */
  private Http2Stream stream;

  /** The stream id, once the request head was written; -1 before. */
  private int id = -1;

  /** What arrived while the exchange did not read: handed over, in order, once it reads again. */
  private ArrayDeque<Object> held;

  private boolean reading = true;
  private boolean requestEnded;
  private boolean finalHead;
  private boolean responseEnded;
  private boolean remoteEnded;
  private boolean anyResponse;
  private boolean nettyClosed;
  private boolean readInBurst;
  private boolean writing;
  private boolean drainScheduled;
  private boolean finished;

  Http2BackendStream(Http2BackendConnectionHandler conn, PooledConnection pooled) {
    this.conn = conn;
    this.pooled = pooled;
  }

  // ---- the exchange's side ----

  @Override
  public void write(Object msg) {
    writing = true;
    try {
      if (msg instanceof RequestHead head) {
        writeHead(head);
      } else if (msg instanceof ByteBuf data) {
        if (requestEnded || !canWrite()) {
          data.release();
        } else {
          conn.writeData(id, data, false);
        }
      } else if (msg instanceof BodyEnd end) {
        if (!requestEnded && canWrite()) {
          requestEnded = true;
          if (end.trailers() != null) {
            conn.writeHeaders(id, Http2Responses.trailers(end.trailers()), true);
          } else {
            conn.writeData(id, Unpooled.EMPTY_BUFFER, true);
          }
        }
      } else {
        ReferenceCountUtil.release(msg);
      }
    } finally {
      writing = false;
    }
  }

  private void writeHead(RequestHead head) {
    if (id > 0 || finished) {
      return;
    }
    if (!conn.mayOpenStream()) {
      // The connection got a GOAWAY since the pool admitted this stream: it never leaves.
      pooled.markRefused();
      finishLater();
      return;
    }
    // A request known to have no body ends with its HEADERS: one frame for a GET.
    requestEnded = head.bodyLength() == 0;
    id = conn.openStream(this, Http2BackendHeads.request(head, conn.tls()), requestEnded);
  }

  /** True while the request may still be written: the stream is held back, or open on our side. */
  private boolean canWrite() {
    if (id < 0 || finished) {
      return false;
    }
    if (stream == null) {
      return true;
    }
    Http2Stream.State state = stream.state();
    return state == Http2Stream.State.OPEN || state == Http2Stream.State.HALF_CLOSED_REMOTE;
  }

  @Override
  public void flush() {
    conn.flushConnection();
  }

  @Override
  public boolean isWritable() {
    return stream == null ? conn.channelWritable() : conn.isWritable(stream);
  }

  @Override
  public void setReading(boolean reading) {
    this.reading = reading;
    if (reading && !drainScheduled && held != null && !held.isEmpty()) {
      // Handed over from the event loop, not inside the exchange's own call: what it receives
      // may make it stop reading again, which it must see before it goes on.
      drainScheduled = true;
      conn.executeLater(this::drain);
    }
  }

  /** Hands over what was held, in order, while the exchange reads. */
  private void drain() {
    drainScheduled = false;
    if (finished) {
      return;
    }
    Object msg;
    while (reading && (msg = held.poll()) != null) {
      int bytes = msg instanceof ByteBuf b ? b.readableBytes() : 0;
      pooled.streamRead(msg);
      conn.consumed(stream, bytes);
    }
    pooled.streamReadComplete();
    if (nettyClosed && held.isEmpty()) {
      finish();
    }
  }

  @Override
  public void close() {
    if (finished) {
      return;
    }
    if (!responseEnded && id > 0) {
      // Given up before the response ended: the backend may have stopped answering altogether.
      conn.checkAlive();
    }
    releaseHeld();
    reading = true; // what still arrives goes nowhere, and back to the window at once
    if (id > 0 && !(remoteEnded && requestEnded)) {
      conn.reset(id, stream);
    }
    if (stream == null || nettyClosed) {
      finish();
    }
    // Otherwise the stream closes in Netty (after the reset, or once our END_STREAM left).
  }

  // ---- the connection's side ----

  /** Netty created the stream (at once, or once the peer's limit let a held-back one through). */
  void started(Http2Stream s) {
    stream = s;
  }

  /** The stream's windows or the connection's writability changed. */
  void writabilityChanged() {
    pooled.streamWritabilityChanged();
  }

  /**
   * The outcome of the request HEADERS, heard only by a stream that Netty did not create at once
   * (held back under the peer's limit, or failed).
   */
  @Override
  public void operationComplete(ChannelFuture f) {
    if (f.isSuccess() || stream != null || finished) {
      return; // a created stream that fails is reset by Netty's handler and closes
    }
    conn.forget(id);
    if (f.cause() instanceof StreamBufferingEncoder.Http2GoAwayException) {
      // Held back under the peer's stream limit and dropped by its GOAWAY: it never left.
      pooled.markRefused();
    }
    finishLater();
  }

  void onHeaders(Http2Headers headers, boolean endStream) {
    if (responseEnded) {
      return;
    }
    anyResponse = true;
    conn.readIn(this);
    if (endStream) {
      remoteEnded = true;
    }
    if (finalHead) {
      // Trailers (RFC 9113 §8.1): a HEADERS after the final head, which ends the stream.
      responseEnded = true;
      deliver(BodyEnd.of(Http2BackendHeads.trailers(headers)));
      return;
    }
    ResponseHead head = Http2BackendHeads.response(headers);
    if (head == null) {
      responseEnded = true;
      deliver(
          new MalformedMessage(
              new IllegalStateException("backend HEADERS without a valid :status")));
      return;
    }
    deliver(head);
    if (head.status() < 200) {
      deliver(BodyEnd.NONE); // an interim response has its own (empty) end
      return;
    }
    finalHead = true;
    if (endStream) {
      responseEnded = true;
      deliver(BodyEnd.NONE);
    }
  }

  /**
   * A DATA frame's content (not retained); returns the bytes the exchange took now, which go back
   * to the backend's window at once. The others are returned as the exchange takes them.
   */
  int onData(ByteBuf data, boolean endStream) {
    int bytes = data.readableBytes();
    if (responseEnded) {
      return bytes;
    }
    anyResponse = true;
    conn.readIn(this);
    if (endStream) {
      remoteEnded = true;
    }
    if (!finalHead) {
      responseEnded = true;
      deliver(
          new MalformedMessage(new IllegalStateException("backend DATA before a response head")));
      return bytes;
    }
    int taken = bytes;
    if (bytes > 0) {
      if (isHolding()) {
        held.add(data.retain());
        taken = 0;
      } else {
        pooled.streamRead(data.retain());
      }
    }
    if (endStream) {
      responseEnded = true;
      deliver(BodyEnd.NONE);
    }
    return taken;
  }

  /** The backend reset the stream with REFUSED_STREAM: unprocessed when nothing was answered. */
  void refusedByReset() {
    if (!anyResponse) {
      pooled.markRefused();
    }
  }

  /**
   * The codec refused what the backend sent on this stream (a response head with a
   * connection-specific or malformed field, a header list past the limit, a body longer or shorter
   * than its content-length) and resets it: a bad response, not a lost connection; whatever of it
   * was forwarded is cut off by the exchange.
   */
  void invalid(Http2Exception.StreamException cause) {
    if (responseEnded) {
      return;
    }
    responseEnded = true;
    anyResponse = true;
    releaseHeld();
    pooled.streamRead(new MalformedMessage(cause));
  }

  /** Netty closed the stream: both sides ended, a reset, a GOAWAY, or the connection closed. */
  void closed(boolean aboveGoAway, Http2Exception protocolError) {
    nettyClosed = true;
    if (!anyResponse && !responseEnded && aboveGoAway) {
      pooled.markRefused();
    } else if (!responseEnded && protocolError != null) {
      // The backend broke the protocol and the codec ended the connection: a bad response for
      // every stream it still carried, rather than a lost connection.
      responseEnded = true;
      deliver(new MalformedMessage(protocolError));
    }
    if (held == null || held.isEmpty()) {
      if (writing) {
        finishLater(); // not inside the exchange's own write
      } else {
        finish();
      }
    }
  }

  /** Marks the stream read in this burst; false when it already was. */
  boolean markRead() {
    boolean was = readInBurst;
    readInBurst = true;
    return was;
  }

  /**
   * The connection's read burst ended: the exchange flushes what it was handed in it (even when it
   * stopped reading meanwhile: what it wrote to its client must leave for the client to make room).
   */
  void readComplete() {
    readInBurst = false;
    pooled.streamReadComplete();
  }

  private boolean isHolding() {
    if (!reading || (held != null && !held.isEmpty())) {
      if (held == null) {
        held = new ArrayDeque<>(4);
      }
      return true;
    }
    return false;
  }

  private void deliver(Object msg) {
    if (isHolding()) {
      held.add(msg);
    } else {
      pooled.streamRead(msg);
    }
  }

  private void releaseHeld() {
    if (held != null) {
      Object msg;
      while ((msg = held.poll()) != null) {
        if (msg instanceof ByteBuf b) {
          conn.consumed(stream, b.readableBytes());
        }
        ReferenceCountUtil.release(msg);
      }
    }
  }

  private void finishLater() {
    conn.executeLater(this::finish);
  }

  /** Reports the end once, to the pool and the exchange. */
  private void finish() {
    if (finished) {
      return;
    }
    finished = true;
    releaseHeld();
    pooled.streamClosed();
  }
}
