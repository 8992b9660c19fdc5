package io.canaryproxy.forwarding;

import io.canaryproxy.routing.RoutingTable;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ConnectTimeoutException;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of the proxy: one instance per client connection. It routes each request, leases
 * a backend connection from its event loop's pool, and streams the request there and the response
 * back, one exchange at a time. Pipelined requests wait in a small queue, and the client is not
 * read while anything is queued or while the backend cannot take more bytes; the backend is not
 * read while the client cannot take more.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter
    implements BackendListener {
  private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);

  private final ForwardingContext fc;
  private final ArrayDeque<Object> pending = new ArrayDeque<>(4);
  private final NettyRequestView view = new NettyRequestView();
  private final Runnable responseTimeoutCheck = this::checkResponseTimeout;
  private final ResponseWriter writer;
  private ChannelHandlerContext ctx;
  private LoopPools pools;
  private InetAddress clientAddress;
  private String clientIp;

  /** The exchange in progress, or {@code null} between requests. */
  private Exchange ex;

  private HttpRequest head;
  private EndpointPool endpoint;
  private BackendConnection backend;
  private MirrorTap tap;
  private boolean requestDone;
  private boolean requestHasBody;
  private boolean skipBody;
  private boolean clientKeepAlive;
  private boolean clientHttp11;
  private boolean exposeVariant;
  private boolean headRequest;

  /**
   * The head last written to a backend, kept (it is not reference-counted) so a stale connection
   * can be retried.
   */
  private HttpRequest sentHead;

  private boolean retried;
  private boolean draining;
  private boolean reading = true;
  private ScheduledFuture<?> responseTimer;
  private long lastProgressNanos;

  public ProxyFrontendHandler(ForwardingContext fc) {
    this.fc = fc;
    this.writer = new ResponseWriter(this);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.pools = fc.pools(ctx.channel().eventLoop());
    if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
      clientAddress = remote.getAddress();
      clientIp = clientAddress == null ? remote.getHostString() : clientAddress.getHostAddress();
    } else {
      clientIp = "unknown";
    }
    writer.init(ctx);
    ctx.channel().config().setAutoRead(true);
    fc.listener.onClientConnection(1);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (draining) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (!pending.isEmpty() || !tryHandle(msg)) {
      pending.add(msg);
    }
    updateReading();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // A complete request was flushed with its last piece; only a body still streaming needs this
    // flush.
    if (backend != null && !requestDone) {
      backend.channel().flush();
    }
  }

  /** Handles a client message now if the state allows it; returns false to have it queued. */
  private boolean tryHandle(Object msg) {
    if (msg instanceof HttpRequest request) {
      if (ex != null) {
        return false;
      }
      startExchange(request);
      return true;
    }
    if (msg instanceof HttpContent content) {
      if (skipBody) {
        // The rest of a request that was already answered (an upstream failure): read and dropped.
        skipBody = !(content instanceof LastHttpContent);
        content.release();
        return true;
      }
      if (ex == null || requestDone || backend == null) {
        return false;
      }
      forwardRequestContent(content);
      return true;
    }
    if (msg instanceof RejectedRequest rejected) {
      if (ex != null && requestDone) {
        return false; // it concerns a later pipelined request: answer in order
      }
      reject(rejected);
      return true;
    }
    ReferenceCountUtil.release(msg);
    return true;
  }

  /** Handles queued messages, in order, as far as the state allows. */
  private void drain() {
    Object msg;
    while (!draining && (msg = pending.peek()) != null) {
      pending.poll();
      if (!tryHandle(msg)) {
        pending.addFirst(msg);
        break;
      }
    }
  }

  private void updateReading() {
    boolean read =
        !draining
            && pending.isEmpty()
            && (backend == null || requestDone || backend.channel().isWritable());
    if (read != reading) {
      reading = read;
      ctx.channel().config().setAutoRead(read);
    }
  }

  private void startExchange(HttpRequest request) {
    Exchange e = new Exchange();
    ex = e;
    fc.exchangeStarted();
    e.startNanos = System.nanoTime();
    e.method = request.method().name();
    e.path = NettyRequestView.pathOf(request.uri());
    head = request;
    requestDone = false;
    headRequest = HttpMethod.HEAD.equals(request.method());
    retried = false;
    clientKeepAlive = HttpUtil.isKeepAlive(request);
    clientHttp11 = request.protocolVersion().minorVersion() == 1;
    requestHasBody =
        HttpUtil.isTransferEncodingChunked(request) || HttpUtil.getContentLength(request, 0L) > 0;

    RoutingTable table = fc.router.current();
    exposeVariant = table.config().exposeVariantHeader();
    view.reset(request, e.path, clientAddress);
    table.route(view, e.route);
    view.clear();
    if (e.route.stripOverride) {
      request.headers().remove(table.config().override().header());
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      // Answer the expectation here (as nginx does) and send the body on without it.
      request.headers().remove(HttpHeaderNames.EXPECT);
      writer.writeContinue();
    }
    ForwardHeaders.prepareRequest(request, clientIp);
    if (fc.tapFactory != null) {
      tap = fc.tapFactory.tap(request, e, ctx.channel().eventLoop());
      e.mirrored = tap != null;
    }

    BackendPool pool = pools.lookup(e.route.backend);
    endpoint = pool == null ? null : pool.pick();
    if (endpoint == null) {
      upstreamFailed(UpstreamFailure.NO_ENDPOINTS, null);
      return;
    }
    endpoint.requestStarted();
    BackendConnection idle = endpoint.pollIdle();
    if (idle != null) {
      attach(idle);
    } else if (!endpoint.canOpen()) {
      upstreamFailed(UpstreamFailure.POOL_EXHAUSTED, null);
    } else {
      endpoint.connect().addListener((ChannelFutureListener) f -> onConnected(e, f));
    }
  }

  private void onConnected(Exchange forExchange, ChannelFuture f) {
    if (ex != forExchange) {
      // The exchange ended (client gone) while connecting: keep the fresh connection for the next
      // one.
      if (f.isSuccess()) {
        f.channel().pipeline().get(BackendConnection.class).release();
      }
      return;
    }
    if (!f.isSuccess()) {
      UpstreamFailure type =
          f.cause() instanceof ConnectTimeoutException
              ? UpstreamFailure.CONNECT_TIMEOUT
              : UpstreamFailure.CONNECT_FAILED;
      upstreamFailed(type, f.cause());
      return;
    }
    attach(f.channel().pipeline().get(BackendConnection.class));
    drain();
    backend.channel().flush();
    updateReading();
  }

  private void attach(BackendConnection c) {
    backend = c;
    c.lease(this);
    boolean clientWritable = ctx.channel().isWritable();
    if (c.channel().config().isAutoRead() != clientWritable) {
      c.channel().config().setAutoRead(clientWritable);
    }
    HttpRequest request = head;
    head = null;
    if (!request.headers().contains(HttpHeaderNames.HOST)) {
      request.headers().set(HttpHeaderNames.HOST, ForwardHeaders.hostOf(endpoint.address()));
    }
    if (tap != null && !retried) {
      tap.onRequest(request);
    }
    long now = System.nanoTime();
    ex.upstreamSentNanos = now;
    lastProgressNanos = now;
    // Void promises: a failed write fires exceptionCaught, which closes the connection (as a socket
    // error does).
    c.channel().write(request, c.channel().voidPromise());
    sentHead = request;
    if (retried && requestDone) {
      c.channel().writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT, c.channel().voidPromise());
    }
    if (responseTimer == null) {
      // One timer per connection, not per request: it stays armed across exchanges and re-arms
      // itself from
      // lastProgressNanos (see checkResponseTimeout).
      responseTimer =
          ctx.channel()
              .eventLoop()
              .schedule(responseTimeoutCheck, fc.responseTimeoutNanos, TimeUnit.NANOSECONDS);
    }
  }

  private void forwardRequestContent(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    ex.bytesIn += content.content().readableBytes();
    if (tap != null) {
      tap.onRequestContent(content, last);
    }
    lastProgressNanos = System.nanoTime();
    backend.channel().write(content, backend.channel().voidPromise());
    if (last) {
      requestDone = true;
      backend.channel().flush();
    }
  }

  // ---- backend events (same event loop) ----

  @Override
  public void onBackendRead(Object msg) {
    if (ex == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    long now = System.nanoTime();
    lastProgressNanos = now;
    if (msg instanceof HttpResponse response) {
      if (!response.decoderResult().isSuccess()) {
        ReferenceCountUtil.release(msg);
        upstreamFailed(UpstreamFailure.BAD_RESPONSE, response.decoderResult().cause());
        return;
      }
      boolean keepAlive = clientKeepAlive && !fc.draining();
      if (!writer.onResponseHead(
          response, ex, tap, keepAlive, headRequest, clientHttp11, exposeVariant, now)) {
        return; // an interim 1xx response, dropped
      }
    }
    if (msg instanceof HttpContent content) {
      if (!content.decoderResult().isSuccess()) {
        content.release();
        upstreamFailed(UpstreamFailure.BAD_RESPONSE, content.decoderResult().cause());
        return;
      }
      if (writer.onResponseContent(content, ex, tap)) {
        completeExchange();
      }
    }
  }

  @Override
  public void onBackendReadComplete() {
    ctx.flush();
  }

  @Override
  public void onBackendInactive() {
    BackendConnection dead = backend;
    backend = null;
    if (ex == null) {
      return;
    }
    if (canRetry(dead)) {
      retryOnNewConnection();
    } else {
      upstreamFailed(UpstreamFailure.CONNECTION_CLOSED, null);
    }
  }

  /**
   * A pooled connection the backend closed just as it was reused is the one failure a client cannot
   * be blamed for and cannot see coming. A bodiless idempotent request that got no response byte is
   * sent once more, on a new connection (RFC 9110 §9.2.2).
   */
  private boolean canRetry(BackendConnection dead) {
    return dead != null
        && dead.reused()
        && !retried
        && !requestHasBody
        && sentHead != null
        && !writer.responseStarted()
        && isIdempotent(sentHead.method());
  }

  private void retryOnNewConnection() {
    retried = true;
    log.debug(
        "[{}] backend {} closed a reused connection; retrying once",
        ctx.channel().id(),
        endpoint.address());
    if (responseTimer != null) {
      responseTimer.cancel(false);
      responseTimer = null;
    }
    head = sentHead;
    sentHead = null;
    if (!endpoint.canOpen()) {
      upstreamFailed(UpstreamFailure.POOL_EXHAUSTED, null);
      return;
    }
    Exchange e = ex;
    endpoint.connect().addListener((ChannelFutureListener) f -> onConnected(e, f));
  }

  private static boolean isIdempotent(HttpMethod method) {
    return method == HttpMethod.GET
        || method == HttpMethod.HEAD
        || method == HttpMethod.OPTIONS
        || method == HttpMethod.PUT
        || method == HttpMethod.DELETE
        || method == HttpMethod.TRACE;
  }

  @Override
  public void onBackendWritabilityChanged() {
    updateReading();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (backend != null) {
      backend.channel().config().setAutoRead(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  // ---- ends of an exchange ----

  /** The last response byte was handed to the client connection. */
  private void completeExchange() {
    Exchange e = ex;
    e.endNanos = System.nanoTime();
    boolean close = writer.closeAfterResponse() || !requestDone;
    BackendConnection b = backend;
    backend = null;
    if (b != null) {
      if (requestDone && writer.backendKeepAlive()) {
        b.release();
      } else {
        b.discard();
      }
    }
    finish(e);
    if (close) {
      closeAfterFlush();
    } else {
      drain();
      updateReading();
    }
  }

  /**
   * A backend failed the exchange: answer its status if no response started, else cut the client
   * off.
   */
  private void upstreamFailed(UpstreamFailure type, Throwable cause) {
    Exchange e = ex;
    e.failure = type;
    String endpointName = endpoint == null ? "?" : endpoint.address().toString();
    log.warn(
        "[{}] upstream failure {} from backend {} ({}){}",
        ctx.channel().id(),
        type.tag(),
        e.route.backend,
        endpointName,
        cause == null ? "" : ": " + cause.getMessage());
    fc.listener.onUpstreamFailure(e.route.backend, e, type);
    abandonUpstream();
    if (writer.responseStarted()) {
      e.endNanos = System.nanoTime();
      finish(e);
      ctx.close(); // never present a truncated body as complete
      return;
    }
    boolean close = (!requestDone && requestHasBody) || !clientKeepAlive || fc.draining();
    writer.writeError(type.status(), "upstream " + type.tag(), type.tag(), close);
    skipBody = !requestDone;
    e.status = type.status().code();
    e.endNanos = System.nanoTime();
    finish(e);
    if (close) {
      closeAfterFlush();
    } else {
      drain();
      updateReading();
    }
  }

  /** A request that must not be forwarded: answer it and close the connection. */
  private void reject(RejectedRequest rejected) {
    Exchange e = ex;
    if (e != null) {
      // The current request turned bad mid-body: the backend has part of it and must not keep the
      // connection.
      abandonUpstream();
      if (writer.responseStarted()) {
        finish(e);
        ctx.close();
        return;
      }
      e.status = rejected.status().code();
      e.endNanos = System.nanoTime();
      finish(e);
    }
    log.debug(
        "[{}] rejected request: {} {}", ctx.channel().id(), rejected.status(), rejected.reason());
    writer.writeError(rejected.status(), rejected.reason(), null, true);
    closeAfterFlush();
  }

  /**
   * Cuts the exchange off from its mirror tap and its backend connection, which cannot be reused.
   */
  private void abandonUpstream() {
    if (tap != null) {
      tap.onAbort();
      tap = null;
    }
    BackendConnection b = backend;
    backend = null;
    if (b != null) {
      b.discard();
    }
  }

  private void finish(Exchange e) {
    if (endpoint != null) {
      endpoint.requestFinished();
      endpoint = null;
    }
    if (head != null) {
      ReferenceCountUtil.release(head);
      head = null;
    }
    sentHead = null;
    tap = null;
    ex = null;
    writer.reset();
    fc.exchangeFinished();
    fc.listener.onExchangeComplete(e);
  }

  private void closeAfterFlush() {
    draining = true;
    releasePending();
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER)
        .addListener(ChannelFutureListener.CLOSE);
  }

  /**
   * The response timer fired: fail the exchange if no response byte came for the timeout, else
   * re-arm.
   */
  private void checkResponseTimeout() {
    responseTimer = null;
    if (ex == null || backend == null) {
      return; // between exchanges, or still connecting: attach() arms the timer again
    }
    long idle = System.nanoTime() - lastProgressNanos;
    if (idle >= fc.responseTimeoutNanos) {
      upstreamFailed(UpstreamFailure.RESPONSE_TIMEOUT, null);
    } else {
      EventLoop loop = ctx.channel().eventLoop();
      responseTimer =
          loop.schedule(responseTimeoutCheck, fc.responseTimeoutNanos - idle, TimeUnit.NANOSECONDS);
    }
  }

  // ---- client connection events ----

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (ex == null && pending.isEmpty()) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    draining = true;
    releasePending();
    if (responseTimer != null) {
      responseTimer.cancel(false);
      responseTimer = null;
    }
    Exchange e = ex;
    if (e != null) {
      abandonUpstream();
      finish(e);
    }
    fc.listener.onClientConnection(-1);
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] client connection error: {}", ctx.channel().id(), cause.toString());
    ctx.close();
  }

  private void releasePending() {
    Object msg;
    while ((msg = pending.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
  }
}
