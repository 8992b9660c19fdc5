package io.canaryproxy.server.http2;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.Downstream;
import io.canaryproxy.forwarding.Forwarder;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2Stream;
import java.net.InetAddress;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream of an HTTP/2 client connection: its request becomes one exchange of its own {@link
 * Forwarder}, and what the forwarder answers is written back as HEADERS, DATA and trailing HEADERS
 * ({@link Http2ResponseFrames}). Flow control is end to end: a piece of the request body is
 * returned to the client's window only once the forwarder took it (until then the client can send
 * at most the stream's window), and the backend is read only while the stream can take bytes (its
 * window and the connection's). Event-loop only.
 */
final class Http2ClientStream implements Downstream {
  private static final Logger log = LoggerFactory.getLogger(Http2ClientStream.class);

  private final Http2ClientConnectionHandler conn;
  private Http2Stream stream;
  private final ChannelHandlerContext ctx;
  private final ForwardingContext fc;
  private final LimitsConfig limits;
  private final Http2StreamLogId logId;
  private final Forwarder forwarder;
  private final Http2ResponseFrames out;
  private final Http2PendingBody waiting = new Http2PendingBody();
  private final Runnable drainTask = this::drainLater;
  private boolean requestEnded;
  private boolean done;
  private boolean closed;
  private boolean reading = true;
  private boolean readInBurst;
  private boolean drainScheduled;
  private long contentLength = -1;
  private long received;

  /** True when the request is a gRPC call: a refusal over a limit is then a gRPC status. */
  private boolean grpc;

  /** {@code timeouts.requestBody}: the longest pause of a request body while the proxy reads it. */
  private final long bodyTimeoutNanos;

  private long lastBodyNanos;
  private ScheduledFuture<?> bodyTimer;

  Http2ClientStream(
      Http2ClientConnectionHandler conn,
      ForwardingContext fc,
      LimitsConfig limits,
      long bodyTimeoutNanos,
      InetAddress clientAddress,
      String clientIp) {
    this.conn = conn;
    this.ctx = conn.context();
    this.fc = fc;
    this.limits = limits;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
    this.out = new Http2ResponseFrames(conn);
    this.logId = new Http2StreamLogId(ctx.channel());
    this.forwarder =
        new Forwarder(
            fc,
            this,
            ctx.channel().eventLoop(),
            clientAddress,
            clientIp,
            logId,
            limits.requestBufferBytes(),
            false);
  }

  /**
   * Serves {@code s}, whose request head arrived: a new state, or one whose earlier stream closed
   * and left it {@link #reusable}. Its forwarder (and that forwarder's response timer) goes on from
   * the earlier stream, as an HTTP/1.1 connection's does from one request to the next.
   */
  void start(Http2Stream s) {
    stream = s;
    out.start(s);
    logId.stream(s.id());
    requestEnded = false;
    done = false;
    closed = false;
    reading = true;
    contentLength = -1;
    received = 0;
    grpc = false;
  }

  /**
   * True once the stream closed with its exchange over and its request read to the end (so the
   * forwarder skips no body for the next one): the state may serve the connection's next stream.
   */
  boolean reusable() {
    return closed && !forwarder.busy() && forwarder.requestReceived() && waiting.isEmpty();
  }

  /** The state will serve no other stream: its forwarder's timer is cancelled. */
  void discard() {
    forwarder.clientClosed();
  }

  // ---- what the client sends (from the frame listener) ----

  /** The request's HEADERS; {@code endStream} when it has no body. */
  void onHead(Http2Headers headers, boolean endStream) {
    Http2Request request;
    try {
      request = Http2Request.of(headers, endStream);
    } catch (Http2Request.Refused r) {
      refuse(r.status(), r.getMessage());
      return;
    }
    grpc = GrpcCalls.isGrpc(request.headers().getView(HeaderNames.CONTENT_TYPE));
    if (request.headers().size() > limits.maxHeaders()) {
      refuse(431, "too many header fields");
      return;
    }
    contentLength = request.bodyLength();
    if (contentLength > limits.maxBodyBytes()) {
      refuse(413, "request body larger than limits.maxBodyBytes");
      return;
    }
    forwarder.origin(conn.origin());
    forwarder.offerHead(request);
    if (endStream) {
      offer(Unpooled.EMPTY_BUFFER, 0, true);
    } else {
      lastBodyNanos = System.nanoTime();
      bodyTimer = ctx.executor().schedule(this::checkBody, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Trailers end the body; like HTTP/1 request trailers they are not forwarded (they would bypass
   * the header rules).
   */
  void onTrailers() {
    if (!done) {
      offer(Unpooled.EMPTY_BUFFER, 0, true);
    }
  }

  /**
   * A DATA frame's payload, not retained by the caller; returns how many of its bytes go back to
   * the client's window now (all when dropped or taken at once, none when it must wait).
   */
  int onData(ByteBuf data, boolean last) {
    int bytes = data.readableBytes();
    if (done) {
      return bytes; // read and dropped, which re-opens the window
    }
    lastBodyNanos = System.nanoTime();
    received += bytes;
    if (received > limits.maxBodyBytes()) {
      refuse(413, "request body larger than limits.maxBodyBytes");
      return bytes;
    }
    // RFC 9113 §8.1.1: a body that does not match its content-length is malformed; forwarded to
    // an HTTP/1.1 backend, the excess would be read as another request.
    if (contentLength >= 0 && (received > contentLength || last && received != contentLength)) {
      refuse(400, "body length differs from content-length");
      return bytes;
    }
    return offer(data.retain(), bytes, last) ? bytes : 0;
  }

  /** Marks the stream read in this burst; returns whether it was already. */
  boolean markRead() {
    boolean was = readInBurst;
    readInBurst = true;
    return was;
  }

  /** The client connection's read burst ended: flushes the request body sent to the backend. */
  void readComplete() {
    readInBurst = false;
    if (!closed) {
      forwarder.readComplete();
    }
  }

  /** Hands {@code piece} on, or keeps it (with its {@code bytes} unreturned); true when taken. */
  private boolean offer(ByteBuf piece, int bytes, boolean last) {
    if (last) {
      requestEnded = true;
    }
    boolean taken =
        waiting.isEmpty()
            && Http2PendingBody.takes(forwarder, bytes, last)
            && forwarder.offerBody(piece, last);
    if (!taken) {
      waiting.add(piece, bytes, last);
    }
    updateReading();
    return taken;
  }

  /** Offers what waits while the forwarder takes it, and returns those bytes to the window. */
  private void drain() {
    conn.consumed(stream, waiting.offerTo(forwarder));
  }

  /** The deferred drain of {@link #readingChanged}: then a write to the backend is safe. */
  private void drainLater() {
    drainScheduled = false;
    if (!done && !closed) {
      drain();
      updateReading();
      forwarder.readComplete(); // flushes what the drain sent
    }
  }

  private void updateReading() {
    // Once done, whatever still arrives is dropped and its window returned at once.
    boolean read = done || waiting.isEmpty() && forwarder.wantsInput();
    if (read != reading) {
      reading = read;
      if (read) {
        lastBodyNanos = System.nanoTime(); // the pause was the proxy's
      }
    }
  }

  /**
   * The body timer fired: a body that paused for {@code timeouts.requestBody} while the proxy was
   * reading it is refused as HTTP/1.1's is (408, or a reset once the response started) and the
   * stream reset; other streams are not affected. While the proxy is not reading (the backend
   * cannot take more), the pause is the proxy's and is not counted.
   */
  private void checkBody() {
    bodyTimer = null;
    if (done || requestEnded) {
      return;
    }
    long now = System.nanoTime();
    if (!reading) {
      lastBodyNanos = now;
    }
    long idle = now - lastBodyNanos;
    if (idle >= bodyTimeoutNanos) {
      refuse(408, "request body paused longer than timeouts.requestBody");
    } else {
      bodyTimer =
          ctx.executor().schedule(this::checkBody, bodyTimeoutNanos - idle, TimeUnit.NANOSECONDS);
    }
  }

  private void cancelBodyTimer() {
    if (bodyTimer != null) {
      bodyTimer.cancel(false);
      bodyTimer = null;
    }
  }

  /** A request that must not be forwarded: answer it (or reset the stream) and stop reading. */
  private void refuse(int status, String reason) {
    log.debug("[{}] h2 request refused: {} {}", logId, status, reason);
    if (forwarder.abort(status)) {
      out.discard();
      out.reset(Http2Error.PROTOCOL_ERROR); // its response already started
    } else {
      if (grpc && (status == 413 || status == 431)) {
        out.grpcError(GrpcStatus.RESOURCE_EXHAUSTED, reason);
      } else {
        out.error(status, reason, null);
      }
      if (!requestEnded) {
        out.reset(Http2Error.NO_ERROR);
      }
    }
    done = true;
    releaseWaiting();
  }

  /** Drops the pieces that wait, and returns their bytes to the windows (the stream may go on). */
  private void releaseWaiting() {
    int bytes = waiting.release();
    if (!closed) {
      conn.consumed(stream, bytes);
    }
  }

  // ---- Downstream: what the forwarder hands the client side ----

  @Override
  public boolean isWritable() {
    return !closed && conn.isWritable(stream);
  }

  @Override
  public void interim(ResponseHead head) {
    out.interim(Http2Responses.head(head));
  }

  @Override
  public void head(ResponseHead head) {
    out.head(Http2Responses.head(head));
  }

  @Override
  public void body(ByteBuf piece) {
    out.body(piece);
  }

  @Override
  public void end(BodyEnd end) {
    out.end(end.trailers());
  }

  @Override
  public void flush() {
    out.flush();
  }

  @Override
  public void error(UpstreamFailure failure, boolean requestUnread) {
    out.error(failure.status(), "upstream " + failure.tag(), failure.tag());
  }

  @Override
  public void abort() {
    out.discard();
    out.reset(Http2Error.INTERNAL_ERROR); // never present a truncated body as complete
  }

  @Override
  public void exchangeDone(boolean requestUnfinished) {
    if (!requestEnded) {
      // Answered before the client finished its request: tell it to stop sending (§8.1).
      out.reset(Http2Error.NO_ERROR);
    }
    done = true;
    releaseWaiting();
    if (fc.draining()) {
      conn.closeGracefully(); // GOAWAY; the streams in progress still finish
    }
  }

  @Override
  public void wake() {
    drain();
    updateReading();
  }

  /**
   * Called from inside a backend write, where another write to it would re-enter its encoder: the
   * pieces that wait are offered from a task of their own.
   */
  @Override
  public void readingChanged() {
    updateReading();
    if (!waiting.isEmpty() && !drainScheduled && forwarder.wantsInput()) {
      drainScheduled = true;
      ctx.executor().execute(drainTask);
    }
  }

  // ---- stream events (from the connection handler) ----

  /** The stream's window or the connection's writability changed. */
  void writabilityChanged(boolean writable) {
    if (!closed) {
      forwarder.clientWritabilityChanged(writable);
    }
  }

  /** The stream closed (ended both ways, reset by either side, or the connection closed). */
  void closed() {
    closed = true;
    done = true;
    cancelBodyTimer();
    out.discard();
    releaseWaiting();
    if (forwarder.busy()) {
      forwarder.clientClosed(); // the exchange ends unanswered
    }
  }
}
