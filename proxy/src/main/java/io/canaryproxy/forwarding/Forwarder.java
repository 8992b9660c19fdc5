package io.canaryproxy.forwarding;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.HopByHop;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.http.UpgradeFields;
import io.canaryproxy.routing.RoutingTable;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.AsciiString;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The exchange state machine of one client connection, protocol-free: routes each request, holds a
 * small body before taking a backend connection, streams the request to its {@link Upstream} and
 * the response to its {@link Downstream}, and ends each exchange in one place. One exchange at a
 * time; the protocol adapter in front orders pipelined requests and offers their parts when this
 * class takes them.
 *
 * <p>The states of an exchange: none ({@link #busy} false); <em>held</em> (routed, its body being
 * read into memory up to {@code limits.requestBufferBytes}, no backend connection yet, as nginx
 * does, so slow clients cannot exhaust the pool); <em>connecting</em>; <em>streaming</em> (the
 * request, then the response, flow with backpressure both ways); and the two ends, {@link
 * #completeExchange} and {@link #fail}. After an error answered before the request body was read,
 * the rest of the body is read and dropped.
 *
 * <p>Its collaborators report back through narrow interfaces: the {@link Upstream} through {@link
 * Upstream.Events}, the client side only by the return values of the {@code offer} methods.
 * Event-loop only.
 */
public final class Forwarder {
  private static final Logger log = LoggerFactory.getLogger(Forwarder.class);

  /** Response header naming the variant, added when {@code routing.exposeVariantHeader} is true. */
  static final AsciiString VARIANT_HEADER = AsciiString.cached("x-canary-variant");

  private final ForwardingContext fc;
  private final Downstream down;
  private final int requestBufferBytes;
  private InetAddress clientAddress;
  private String clientIp;

  /** What the front of the pipeline learned (PROXY header, TLS), or {@code null} for neither. */
  private ClientOrigin origin;

  private final Object logId;
  private final RequestHeadView view = new RequestHeadView();
  private final Upstream upstream;
  private final GrpcCall grpc;
  private final EventLoop loop;
  private final boolean countsConnection;

  /** Runs when a gRPC call's deadline passes; one for every exchange of the connection. */
  private final Runnable onDeadline = this::deadlinePassed;

  /** The exchange in progress, or {@code null} between requests. */
  private Exchange ex;

  /** The connection's one exchange object, reset after each request (see {@link Exchange}). */
  private final Exchange exchange = new Exchange();

  private MirrorTap tap;

  /** Body pieces read while no backend connection is taken yet, and their size in bytes. */
  private final ArrayDeque<ByteBuf> buffered = new ArrayDeque<>(2);

  private long bufferedBytes;
  private boolean bufferedEnd;

  /** The head of the request whose body is being buffered; sent once buffering ends. */
  private RequestHead heldHead;

  /** True once the client's whole request (its end) was taken for this exchange. */
  private boolean requestReceived;

  private boolean requestHasBody;
  private boolean skipBody;
  private boolean exposeVariant;
  private boolean responseStarted;
  private boolean skipInterimEnd;
  private boolean backendCloses;

  /**
   * The protocol the current request asks to switch to ({@code Upgrade}), when a {@code 101} may
   * turn the exchange into a {@link Tunnel}; else {@code null}.
   */
  private String upgrade;

  /**
   * @param down the client side, implemented by the protocol adapter
   * @param loop the client connection's event loop, whose backend pools serve it
   * @param clientAddress the client's address, for routing ({@code null} when unknown)
   * @param clientIp the client's address as text, for {@code X-Forwarded-For}
   * @param logId names the client connection in logs
   * @param requestBufferBytes how much of a request body is read before a backend connection is
   *     taken for it; 0 streams at once
   * @param countsConnection false when this forwarder serves one stream of a multiplexed connection
   *     (HTTP/2) that the adapter counts itself ({@link ForwardingContext#clientConnection}), so
   *     that the client connection gauge counts connections, not streams
   */
  public Forwarder(
      ForwardingContext fc,
      Downstream down,
      EventLoop loop,
      InetAddress clientAddress,
      String clientIp,
      Object logId,
      int requestBufferBytes,
      boolean countsConnection) {
    this.fc = fc;
    this.down = down;
    this.loop = loop;
    this.clientAddress = clientAddress;
    this.clientIp = clientIp;
    this.logId = logId;
    this.requestBufferBytes = requestBufferBytes;
    this.upstream =
        new Upstream(
            new UpstreamEvents(),
            fc.responseTimeoutNanos,
            fc.clientStallNanos,
            loop,
            fc.pools(loop),
            down,
            logId);
    this.grpc = new GrpcCall(loop);
    this.countsConnection = countsConnection;
    if (countsConnection) {
      fc.listener.onClientConnection(1);
    }
  }

  // ---- what the protocol adapter offers (client side) ----

  /**
   * The connection's {@link ClientOrigin} (the real client address from a PROXY header, TLS, the
   * client certificate), or {@code null}. It is known only after the connection became active (the
   * PROXY header and the TLS handshake come first), so the adapter passes it before each head.
   */
  public void origin(ClientOrigin o) {
    if (o == origin) {
      return;
    }
    origin = o;
    view.origin(o);
    if (o != null && o.address() != null) {
      clientAddress = o.address().getAddress();
      clientIp =
          clientAddress == null ? o.address().getHostString() : clientAddress.getHostAddress();
    }
  }

  /** True while an exchange is in progress. */
  public boolean busy() {
    return ex != null;
  }

  /** True once the current exchange's whole request was taken. */
  public boolean requestReceived() {
    return requestReceived;
  }

  /**
   * True when the client should be read: the request is complete, or the backend can take more
   * bytes. The adapter also stops reading while anything waits to be offered.
   */
  public boolean wantsInput() {
    return requestReceived || upstream.writable();
  }

  /**
   * Starts an exchange for {@code head} and returns true, or returns false (keeping no reference)
   * when one is in progress: the head then waits its turn.
   */
  public boolean offerHead(RequestHead head) {
    if (ex != null) {
      return false;
    }
    Exchange e = exchange;
    ex = e;
    fc.exchangeStarted();
    e.startNanos = System.nanoTime();
    e.request(head);
    requestReceived = false;
    requestHasBody = head.bodyLength() != 0;
    RoutingTable table = fc.router.current();
    exposeVariant = table.config().exposeVariantHeader();
    view.route(table, head, e, clientAddress);
    String asked = UpgradeFields.requested(head.headers());
    ForwardHeaders.prepareRequest(
        head.headers(), clientIp, origin != null && origin.secure(), table.headersRead());
    if (asked != null) {
      offerUpgrade(head, asked);
    }
    grpc.begin(head, e, onDeadline);
    if (fc.tapFactory != null && upgrade == null) { // a tunnel is never mirrored
      tap = fc.tapFactory.tap(head, e, loop);
      e.mirrored = tap != null;
    }
    // A gRPC request is never buffered: its body is a stream of messages that a bidirectional call
    // answers one by one, so holding the first ones back until the buffer fills would stall it.
    if (requestHasBody && requestBufferBytes > 0 && !grpc.active()) {
      heldHead = head; // the backend is chosen now, the connection once the body is read
      return true;
    }
    grpc.beforeSend(head);
    upstream.start(e, head, e.route.backend, tap);
    return true;
  }

  /**
   * The request asks to switch protocols: kept for a tunnel (its upgrade fields forwarded), or
   * declined as nginx does, by forwarding it without them. {@code h2c} is always declined: the
   * backend connection is the proxy's, and HTTP/2 to backends is configured, not negotiated. So is
   * every upgrade once a drain has closed the listener: a tunnel opened then would only be cut at
   * {@code drain.timeout}, while the backend's refusal (and the {@code Connection: close} every
   * answer carries while draining) sends the client to reconnect to another replica.
   */
  private void offerUpgrade(RequestHead head, String asked) {
    if (UpgradeFields.isH2c(asked) || !down.canTunnel() || fc.draining()) {
      head.headers().remove(UpgradeFields.HTTP2_SETTINGS);
      return;
    }
    upgrade = asked;
    UpgradeFields.assertUpgrade(head.headers(), asked);
  }

  /**
   * Takes a piece of the current request's body ({@code last} ends it; the piece may be empty) and
   * returns true, or returns false (keeping no reference) when it must wait: it belongs to a later
   * request, or the backend connection is not attached yet.
   */
  public boolean offerBody(ByteBuf piece, boolean last) {
    if (skipBody) {
      // The rest of a request that was already answered (an upstream failure): read and dropped.
      skipBody = !last;
      piece.release();
      return true;
    }
    if (ex == null || requestReceived) {
      return false;
    }
    if (heldHead != null) {
      buffer(piece, last);
      return true;
    }
    if (!upstream.connected()) {
      return false;
    }
    if (last) {
      requestReceived = true;
    }
    upstream.forward(piece, last);
    return true;
  }

  /** The client finished a read burst: flush a request body still streaming. */
  public void readComplete() {
    upstream.flushBody();
  }

  /** The client connection's writability changed: read the backend only while it is writable. */
  public void clientWritabilityChanged(boolean writable) {
    upstream.setAutoRead(writable);
  }

  /**
   * The current request turned bad (the adapter answers {@code status} itself): the exchange is
   * abandoned. Returns true when a response had already started, so the client must be cut off
   * instead of answered.
   */
  public boolean abort(int status) {
    Exchange e = ex;
    if (e == null) {
      return false;
    }
    // The backend has part of the request and must not keep the connection.
    abandonUpstream();
    if (responseStarted) {
      finish(e);
      return true;
    }
    e.status = status;
    e.endNanos = System.nanoTime();
    finish(e);
    return false;
  }

  /** The client connection closed: the exchange in progress, if any, ends unanswered. */
  public void clientClosed() {
    upstream.cancelTimer();
    Exchange e = ex;
    if (e != null) {
      abandonUpstream();
      finish(e);
    }
    if (countsConnection) {
      fc.listener.onClientConnection(-1);
    }
  }

  // ---- buffering ----

  /** Keeps a body piece until the body is complete or the buffer is full; takes ownership. */
  private void buffer(ByteBuf piece, boolean last) {
    bufferedBytes += piece.readableBytes();
    buffered.add(piece);
    if (last) {
      requestReceived = true;
      bufferedEnd = true;
    }
    if (last || bufferedBytes >= requestBufferBytes) {
      Exchange e = ex;
      long g = e.generation();
      RequestHead head = heldHead;
      heldHead = null;
      grpc.beforeSend(head);
      upstream.start(e, head, e.route.backend, tap);
      if (e.isCurrent(ex, g) && upstream.connected()) {
        sendBuffered(); // an idle pooled connection was attached at once
      }
    }
  }

  /** Forwards the buffered body pieces, in order, to the connection just attached. */
  private void sendBuffered() {
    ByteBuf piece;
    while ((piece = buffered.poll()) != null) {
      upstream.forward(piece, bufferedEnd && buffered.isEmpty());
    }
    bufferedBytes = 0;
    bufferedEnd = false;
    upstream.flush();
  }

  private void releaseBuffered() {
    ByteBuf piece;
    while ((piece = buffered.poll()) != null) {
      piece.release();
    }
    bufferedBytes = 0;
    bufferedEnd = false;
    heldHead = null;
  }

  // ---- the response ----

  /** A response message from the backend; takes ownership. */
  private void onResponse(Object msg, long nowNanos) {
    if (msg instanceof ByteBuf piece) {
      if (skipInterimEnd) {
        piece.release();
        return;
      }
      ex.bytesOut += piece.readableBytes();
      if (tap != null) {
        tap.onResponseBody(piece);
      }
      down.body(piece);
    } else if (msg instanceof BodyEnd end) {
      if (skipInterimEnd) {
        skipInterimEnd = false;
        return;
      }
      grpc.onEnd(end);
      if (tap != null) {
        tap.onResponseEnd(end);
      }
      down.end(end);
      completeExchange();
    } else if (msg instanceof ResponseHead head) {
      onResponseHead(head, nowNanos);
    } else if (msg instanceof MalformedMessage bad) {
      fail(UpstreamFailure.BAD_RESPONSE, bad.cause());
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /**
   * A response head; {@code nowNanos} is when it arrived. An interim (1xx) one does not end the
   * exchange: {@code 100} is dropped (the adapter answers {@code Expect: 100-continue} itself),
   * others such as {@code 103 Early Hints} go to the client (RFC 9110 §15.2), and {@code 101} turns
   * the exchange into a {@link Tunnel} when the request asked for an upgrade (and was fully sent),
   * else fails it as a bad response.
   */
  private void onResponseHead(ResponseHead head, long nowNanos) {
    int code = head.status();
    if (code == 101 && upgrade != null && requestReceived) {
      switchToTunnel(head, nowNanos);
      return;
    }
    if (code < 200) {
      skipInterimEnd = true;
      if (code == 101) {
        fail(UpstreamFailure.BAD_RESPONSE, new IllegalStateException("unrequested 101 response"));
      } else if (code != 100) {
        HopByHop.strip(head.headers());
        down.interim(head);
      }
      return;
    }
    responseStarted = true;
    ex.upstreamHeadersNanos = nowNanos;
    ex.status = code;
    grpc.onHead(head);
    backendCloses = head.closesConnection();
    HopByHop.strip(head.headers());
    String revisionHeader = fc.revisionHeader();
    if (revisionHeader != null) {
      ex.revision = head.headers().get(revisionHeader);
    }
    if (exposeVariant) {
      head.headers().set(VARIANT_HEADER, ex.route.label());
    }
    if (ex.route.setCookie != null) {
      ForwardHeaders.addVisitorCookie(head.headers(), ex.route.setCookie);
    }
    if (tap != null) {
      tap.onResponse(head);
    }
    down.head(head);
  }

  /**
   * The backend accepted the upgrade: the exchange ends here (status 101, counted like any other)
   * and its two connections become a {@link Tunnel}.
   */
  private void switchToTunnel(ResponseHead head, long nowNanos) {
    Exchange e = ex;
    String protocol = head.headers().get(HeaderNames.UPGRADE);
    HopByHop.strip(head.headers());
    UpgradeFields.assertUpgrade(head.headers(), protocol == null ? upgrade : protocol);
    if (exposeVariant) {
      head.headers().set(VARIANT_HEADER, e.route.label());
    }
    if (e.route.setCookie != null) {
      // A new anonymous visitor's first request may be a WebSocket handshake: its id goes here.
      ForwardHeaders.addVisitorCookie(head.headers(), e.route.setCookie);
    }
    e.upstreamHeadersNanos = nowNanos;
    e.status = 101;
    e.endNanos = System.nanoTime();
    Tunnel tunnel = new Tunnel(fc, upstream.detach(), down, e.route.variant, loop, logId);
    finish(e);
    down.switchProtocols(head, tunnel);
  }

  // ---- the ends of an exchange ----

  /** The last response byte was handed to the client connection. */
  private void completeExchange() {
    Exchange e = ex;
    e.endNanos = System.nanoTime();
    boolean requestDone = upstream.requestDone();
    upstream.complete(requestDone && !backendCloses);
    finish(e);
    down.exchangeDone(!requestDone);
  }

  /**
   * The backend failed the exchange: answer its status if no response started, else cut the client
   * off.
   */
  private void fail(UpstreamFailure type, Throwable cause) {
    Exchange e = ex;
    e.failure = type;
    log.warn(
        "[{}] upstream failure {} from backend {} ({}){}",
        logId,
        type.tag(),
        e.route.backend,
        upstream.endpointName(),
        cause == null ? "" : ": " + cause.getMessage());
    fc.listener.onUpstreamFailure(e.route.backend, e, type);
    abandonUpstream();
    if (responseStarted) {
      e.endNanos = System.nanoTime();
      finish(e);
      down.abort(); // never present a truncated body as complete
      return;
    }
    boolean requestUnread = !requestReceived && requestHasBody;
    if (grpc.active()) {
      // A gRPC client reads the status, not the HTTP one: answered trailers-only, HTTP 200.
      down.head(grpc.answer(type, requestUnread));
      down.end(BodyEnd.NONE);
      e.status = 200;
    } else {
      down.error(type, requestUnread);
      e.status = type.status();
    }
    skipBody = !requestReceived;
    e.endNanos = System.nanoTime();
    finish(e);
    down.exchangeDone(requestUnread);
  }

  /**
   * Cuts the exchange off from its mirror tap and its backend connection, which cannot be reused.
   */
  private void abandonUpstream() {
    if (tap != null) {
      tap.onAbort();
      tap = null;
    }
    upstream.abandon();
  }

  /**
   * The deadline of the gRPC exchange in progress ({@code grpc-timeout}) passed. {@link GrpcCall}
   * disarms the timer when an exchange ends, so the one that fires is the current exchange's.
   */
  private void deadlinePassed() {
    if (ex != null) {
      fail(UpstreamFailure.DEADLINE_EXCEEDED, null);
    }
  }

  private void finish(Exchange e) {
    grpc.finish(e, fc.grpcErrorCodes());
    releaseBuffered();
    upstream.finish();
    tap = null;
    ex = null;
    responseStarted = false;
    backendCloses = false;
    skipInterimEnd = false;
    upgrade = null;
    fc.exchangeFinished();
    fc.listener.onExchangeComplete(e);
    e.reset(); // listeners copied what they keep: the connection's next request takes it
  }

  /** How the {@link Upstream} reports; kept apart so it cannot reach the fields above. */
  private final class UpstreamEvents implements Upstream.Events {
    @Override
    public void connected() {
      sendBuffered();
      down.wake();
      upstream.flush();
    }

    @Override
    public void response(Object msg, long nowNanos) {
      onResponse(msg, nowNanos);
    }

    @Override
    public void readComplete() {
      down.flush();
    }

    @Override
    public void writabilityChanged() {
      down.readingChanged();
    }

    @Override
    public void failed(UpstreamFailure type, Throwable cause) {
      fail(type, cause);
    }

    @Override
    public void clientStalled() {
      Exchange e = ex;
      log.debug("[{}] the client took no byte of the response for timeouts.clientIdle", logId);
      e.endNanos = System.nanoTime();
      abandonUpstream();
      finish(e);
      down.abort(); // the client is cut off as if it had left
    }

    @Override
    public boolean mayResend() {
      return !requestHasBody && !responseStarted;
    }
  }
}
