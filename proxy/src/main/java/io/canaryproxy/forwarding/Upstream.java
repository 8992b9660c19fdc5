package io.canaryproxy.forwarding;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.pool.BackendPool;
import io.canaryproxy.pool.ConnectionListener;
import io.canaryproxy.pool.EndpointPool;
import io.canaryproxy.pool.LoopPools;
import io.canaryproxy.pool.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend leg of one client connection's current exchange: picks an endpoint, leases an idle
 * connection or opens one, streams the request there, sends a bodiless idempotent request once more
 * when a reused connection dies before answering, and fails the exchange when no byte moved for
 * {@code timeouts.response} while it was reading the backend (one timer per client connection).
 * While it stopped reading because the client does not take the response (backpressure), that
 * timeout does not count and starts afresh when reading resumes; a client that takes nothing for
 * {@code timeouts.clientIdle} meanwhile is cut off instead (as nginx's {@code send_timeout}). It
 * speaks the exchange model to the leased {@link PooledConnection} (an HTTP/1.1 connection, or an
 * HTTP/2 stream on a shared connection), whose protocol adapter frames it. Reports to its {@link
 * Events}, never into the forwarder's state; event-loop only.
 */
final class Upstream implements ConnectionListener {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);

  /** What the backend leg reports to the exchange that owns it. */
  interface Events {
    /** A new connection was opened and the request head sent on it: forward what waited. */
    void connected();

    /**
     * A response message from the backend ({@link ResponseHead}, body {@code ByteBuf}, {@link
     * BodyEnd} or {@code MalformedMessage}), which arrived at {@code nowNanos}; takes ownership.
     */
    void response(Object msg, long nowNanos);

    /** The backend finished a read burst. */
    void readComplete();

    /** The backend connection's writability changed. */
    void writabilityChanged();

    /** The backend failed the exchange; {@code cause} may be {@code null}. */
    void failed(UpstreamFailure type, Throwable cause);

    /**
     * The client took no byte of the response for the client stall timeout while the backend was
     * not read for it: the exchange ends, the client is cut off.
     */
    void clientStalled();

    /** True when the request may be sent again: it has no body and no response started. */
    boolean mayResend();
  }

  private final Events owner;
  private final long responseTimeoutNanos;
  private final long clientStallNanos;
  private final Runnable responseTimeoutCheck = this::checkResponseTimeout;
  private final EventLoop loop;
  private final Object logId;
  private final Downstream client;
  private final LoopPools pools;

  /** The exchange this leg serves, or {@code null} between exchanges. */
  private Exchange ex;

  /** The request head until it is written to a backend. */
  /** Sends of a request the backend refused unprocessed, after the first. */
  static final int MAX_UNPROCESSED_RESENDS = 3;

  private RequestHead head;

  private MirrorTap tap;

  private EndpointPool endpoint;
  private PooledConnection backend;

  /**
   * The head last written to a backend, kept (it is not reference-counted) so a stale connection
   * can be retried.
   */
  private RequestHead sentHead;

  /** Something was written to {@link #backend} since its last flush. */
  private boolean unflushed;

  private boolean requestDone;

  /** True once the request was sent again (the mirror has it already; its end was read). */
  private boolean retried;

  /** How many times the request was sent again in this exchange. */
  private int resends;

  private ScheduledFuture<?> responseTimer;
  private long lastProgressNanos;

  /**
   * The clock reading taken for a response message in the backend's current read burst, or 0: body
   * pieces later in the same burst share it (they move only {@link #lastProgressNanos}, for the
   * response timeout), so a head and its body read together cost one reading. Cleared when the
   * burst ends ({@link #onReadComplete}), and at each exchange's start and end.
   */
  private long burstNanos;

  /** True while the backend is not read because the client does not take the response. */
  private boolean paused;

  private long pausedSinceNanos;

  /**
   * @param client tells whether the client can take bytes (the backend is read only then)
   * @param logId names the client connection in logs
   */
  Upstream(
      Events owner,
      long responseTimeoutNanos,
      long clientStallNanos,
      EventLoop loop,
      LoopPools pools,
      Downstream client,
      Object logId) {
    this.owner = owner;
    this.responseTimeoutNanos = responseTimeoutNanos;
    this.clientStallNanos = clientStallNanos;
    this.loop = loop;
    this.pools = pools;
    this.client = client;
    this.logId = logId;
  }

  /** True while a backend connection is attached to the exchange. */
  boolean connected() {
    return backend != null;
  }

  /** True once the client's last request piece was forwarded. */
  boolean requestDone() {
    return requestDone;
  }

  /** True when no backend connection is attached or it can take more bytes. */
  boolean writable() {
    return backend == null || backend.isWritable();
  }

  /** The endpoint serving the exchange, for logs: its address, or {@code "?"}. */
  String endpointName() {
    return endpoint == null ? "?" : endpoint.address().toString();
  }

  /**
   * Starts the exchange {@code e} on an endpoint of {@code backendName}; {@code tap} (or {@code
   * null}) sees the head as it is sent. Reports a failure to the owner, possibly before returning.
   */
  void start(Exchange e, RequestHead request, String backendName, MirrorTap tap) {
    ex = e;
    head = request;
    this.tap = tap;
    requestDone = false;
    retried = false;
    resends = 0;
    BackendPool pool = pools.lookup(backendName);
    endpoint = pool == null ? null : pool.pick();
    if (endpoint == null) {
      owner.failed(UpstreamFailure.NO_ENDPOINTS, null);
      return;
    }
    endpoint.requestStarted();
    PooledConnection idle = endpoint.pollIdle();
    if (idle != null) {
      attach(idle);
    } else if (!endpoint.canOpen()) {
      owner.failed(UpstreamFailure.POOL_EXHAUSTED, null);
    } else {
      open(e);
    }
  }

  /**
   * Opens a connection for {@code e}. A stream on an HTTP/2 connection that is ready is usually
   * there at once: then it is attached now, as the listener would have been called now (the
   * endpoint's loop is this one), without the listener and its notification per request.
   */
  private void open(Exchange e) {
    long g = e.generation();
    Future<PooledConnection> opened = endpoint.open();
    if (opened.isDone()) {
      onConnected(e, g, opened);
    } else {
      opened.addListener(f -> onConnected(e, g, (Future<PooledConnection>) f));
    }
  }

  /** A connection opened for exchange {@code e} in its generation {@code g}. */
  private void onConnected(Exchange e, long g, Future<PooledConnection> f) {
    if (!e.isCurrent(ex, g)) {
      // The exchange ended (client gone) while connecting: keep the fresh connection for the next
      // one.
      if (f.isSuccess()) {
        f.getNow().release();
      }
      return;
    }
    if (!f.isSuccess()) {
      UpstreamFailure type =
          f.cause() instanceof ConnectTimeoutException
              ? UpstreamFailure.CONNECT_TIMEOUT
              : f.cause() instanceof javax.net.ssl.SSLException
                  ? UpstreamFailure.TLS_HANDSHAKE_FAILED
                  : f.cause() instanceof EndpointPool.PoolExhaustedException
                      ? UpstreamFailure.POOL_EXHAUSTED
                      : UpstreamFailure.CONNECT_FAILED;
      owner.failed(type, f.cause());
      return;
    }
    attach(f.getNow());
    owner.connected();
  }

  private void attach(PooledConnection c) {
    backend = c;
    c.lease(this);
    boolean clientWritable = client.isWritable();
    c.setAutoRead(clientWritable);
    paused(!clientWritable);
    RequestHead request = head;
    head = null;
    burstNanos = 0;
    if (!request.headers().contains(HeaderNames.HOST)) {
      request.headers().set(HeaderNames.HOST, ForwardHeaders.hostOf(endpoint.address()));
    }
    if (tap != null && !retried) {
      tap.onRequest(request);
    }
    long now = System.nanoTime();
    ex.upstreamSentNanos = now;
    lastProgressNanos = now;
    // A failed write closes the connection (as a socket error does), or resets the HTTP/2 stream.
    c.write(request);
    sentHead = request;
    unflushed = true;
    if (retried && requestDone) {
      c.writeAndFlush(BodyEnd.NONE);
      unflushed = false;
    }
    if (responseTimer == null) {
      // One timer per connection, not per request: it stays armed across exchanges and re-arms
      // itself from lastProgressNanos (see checkResponseTimeout).
      responseTimer =
          loop.schedule(responseTimeoutCheck, responseTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  /**
   * Forwards a piece of the request body to the attached connection, and shows it to the tap; takes
   * ownership of {@code piece} (which may be empty). With {@code last} the body ends there, and the
   * request is flushed.
   */
  void forward(ByteBuf piece, boolean last) {
    int n = piece.readableBytes();
    ex.bytesIn += n;
    PooledConnection b = backend;
    if (n > 0) {
      // An empty piece (the end of a request without a body) moves no byte: no clock read for it.
      lastProgressNanos = System.nanoTime();
      if (tap != null) {
        tap.onRequestBody(piece);
      }
      b.write(piece);
      unflushed = true;
    } else {
      piece.release();
    }
    if (last) {
      if (tap != null) {
        tap.onRequestEnd();
      }
      requestDone = true;
      b.writeAndFlush(BodyEnd.NONE);
      unflushed = false;
    }
  }

  /**
   * Flushes what was written to the backend, if a connection is attached and something was written
   * since the last flush (a flush that finds nothing still travels the connection's pipeline).
   */
  void flush() {
    if (backend != null && unflushed) {
      unflushed = false;
      backend.flush();
    }
  }

  /** Flushes a request body still streaming: a complete request was flushed with its last piece. */
  void flushBody() {
    if (!requestDone) {
      flush();
    }
  }

  /** Lets the backend connection be read only while the client can take more bytes. */
  void setAutoRead(boolean read) {
    if (backend != null) {
      backend.setAutoRead(read);
      paused(!read);
    }
  }

  /** Notes whether the backend is left unread for the client; resuming restarts the timeout. */
  private void paused(boolean p) {
    if (p == paused) {
      return;
    }
    paused = p;
    burstNanos = 0; // the next piece reads the clock afresh: progress never goes back
    long now = System.nanoTime();
    if (p) {
      pausedSinceNanos = now;
    } else {
      lastProgressNanos = now;
    }
  }

  // ---- backend events (same event loop) ----

  @Override
  public void onRead(Object msg) {
    if (ex == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof BodyEnd) {
      // An end follows the head or body piece that just moved the clock forward, and either ends
      // the exchange or (after an interim head) waits for the final head: no clock read for it.
      owner.response(msg, lastProgressNanos);
      return;
    }
    long now;
    if (burstNanos != 0 && msg instanceof ByteBuf) {
      // A body piece after a message of the same read burst (its head, most often): the reading
      // taken for that one, in this event-loop turn, stands for this one's progress too.
      now = burstNanos;
    } else {
      now = System.nanoTime();
      burstNanos = now;
    }
    lastProgressNanos = now;
    owner.response(msg, now);
  }

  @Override
  public void onReadComplete() {
    burstNanos = 0;
    owner.readComplete();
  }

  @Override
  public void onClosed() {
    PooledConnection dead = backend;
    backend = null;
    if (ex == null) {
      return;
    }
    if (canRetry(dead)) {
      retryOnNewConnection();
    } else {
      owner.failed(UpstreamFailure.CONNECTION_CLOSED, null);
    }
  }

  @Override
  public void onWritabilityChanged() {
    owner.writabilityChanged();
  }

  /**
   * A pooled connection the backend closed just as it was reused is the one failure a client cannot
   * be blamed for and cannot see coming. A bodiless idempotent request that got no response byte is
   * sent once more, on a new connection (RFC 9110 §9.2.2). An HTTP/2 stream the backend refused
   * unprocessed (RFC 9113 §8.7: above a GOAWAY's last stream id, or REFUSED_STREAM) is sent again
   * whatever its method, as long as it has no body, up to {@link #MAX_UNPROCESSED_RESENDS} times: a
   * backend that recycles its connections after so many requests (nginx's {@code
   * keepalive_requests}) refuses on all of them at about the same moment, so a second refusal is no
   * sign of a broken backend.
   */
  private boolean canRetry(PooledConnection dead) {
    if (dead == null || sentHead == null || !owner.mayResend()) {
      return false;
    }
    if (dead.refused()) {
      return resends < MAX_UNPROCESSED_RESENDS;
    }
    return resends == 0 && dead.reused() && isIdempotent(sentHead.method());
  }

  private void retryOnNewConnection() {
    retried = true;
    resends++;
    log.debug(
        "[{}] backend {} closed a reused connection or refused a stream; sending again ({})",
        logId,
        endpoint.address(),
        resends);
    cancelTimer();
    head = sentHead;
    sentHead = null;
    if (!endpoint.canOpen()) {
      owner.failed(UpstreamFailure.POOL_EXHAUSTED, null);
      return;
    }
    open(ex);
  }

  private static boolean isIdempotent(String method) {
    return switch (method) {
      case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE" -> true;
      default -> false;
    };
  }

  /**
   * The timer fired: fail the exchange if no byte moved for the timeout, else re-arm for the rest.
   */
  private void checkResponseTimeout() {
    responseTimer = null;
    if (ex == null || backend == null) {
      return; // between exchanges, or still connecting: attach() arms the timer again
    }
    long now = System.nanoTime();
    if (paused) {
      // The backend waits for the client, not the reverse: only the client's stall is timed.
      long stalled = now - pausedSinceNanos;
      if (stalled >= clientStallNanos) {
        owner.clientStalled();
      } else {
        responseTimer =
            loop.schedule(
                responseTimeoutCheck,
                Math.min(responseTimeoutNanos, clientStallNanos - stalled),
                TimeUnit.NANOSECONDS);
      }
      return;
    }
    long idle = now - lastProgressNanos;
    if (idle >= responseTimeoutNanos) {
      owner.failed(UpstreamFailure.RESPONSE_TIMEOUT, null);
    } else {
      responseTimer =
          loop.schedule(responseTimeoutCheck, responseTimeoutNanos - idle, TimeUnit.NANOSECONDS);
    }
  }

  void cancelTimer() {
    if (responseTimer != null) {
      responseTimer.cancel(false);
      responseTimer = null;
    }
  }

  // ---- ends of an exchange ----

  /**
   * The response is complete: returns the connection to its pool when {@code reusable}, else closes
   * it.
   */
  void complete(boolean reusable) {
    PooledConnection b = backend;
    backend = null;
    if (b != null) {
      if (reusable) {
        b.release();
      } else {
        b.discard();
      }
    }
  }

  /**
   * Hands the backend connection over to a {@link Tunnel} (after a {@code 101}): this leg forgets
   * it, and it never goes back to its pool.
   */
  PooledConnection detach() {
    PooledConnection b = backend;
    backend = null;
    return b;
  }

  /** Cuts the exchange off from its backend connection, which cannot be reused. */
  void abandon() {
    PooledConnection b = backend;
    backend = null;
    if (b != null) {
      b.discard();
    }
  }

  /** The exchange ended: frees its endpoint slot and forgets its head and tap. */
  void finish() {
    paused = false;
    burstNanos = 0;
    if (endpoint != null) {
      endpoint.requestFinished();
      endpoint = null;
    }
    head = null;
    sentHead = null;
    tap = null;
    ex = null;
  }
}
