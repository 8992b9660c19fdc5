package io.canaryproxy.forwarding;

import io.canaryproxy.routing.RoutingTable;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client side of the proxy: one instance per client connection. It routes each request, hands
 * it to its {@link Upstream} (the backend leg), and streams the response back, one exchange at a
 * time. Pipelined requests wait in a {@link PipelineQueue}, and the client is not read while
 * anything is queued or while the backend cannot take more bytes; the backend is not read while the
 * client cannot take more.
 *
 * <p>A request body is first read into memory, up to {@code limits.requestBufferBytes}, and only
 * then is a backend connection taken (as nginx buffers bodies): a client that sends a small body
 * slowly holds no backend connection, so slow clients cannot exhaust the pool. A larger body
 * streams on from there.
 */
public final class ProxyFrontendHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyFrontendHandler.class);

  private final ForwardingContext fc;
  private final int requestBufferBytes;
  private final PipelineQueue pending = new PipelineQueue(this::tryHandle);
  private final NettyRequestView view = new NettyRequestView();
  private final ResponseWriter writer;
  private final Upstream upstream;
  private ChannelHandlerContext ctx;
  private InetAddress clientAddress;
  private String clientIp;

  /** What the front of the pipeline learned (PROXY header, TLS), or {@code null} for neither. */
  private ClientOrigin origin;

  /** The exchange in progress, or {@code null} between requests. */
  private Exchange ex;

  private MirrorTap tap;

  /** Body pieces read while no backend connection is taken yet, and their size in bytes. */
  private final ArrayDeque<HttpContent> buffered = new ArrayDeque<>(2);

  private long bufferedBytes;

  /** The head of the request whose body is being buffered; sent once buffering ends. */
  private HttpRequest heldHead;

  /** True once the client's whole request (its last piece) was taken for this exchange. */
  private boolean requestReceived;

  private boolean requestHasBody;
  private boolean skipBody;
  private boolean reading = true;

  /**
   * @param requestBufferBytes how much of a request body is read before a backend connection is
   *     taken for it; 0 streams at once
   */
  public ProxyFrontendHandler(ForwardingContext fc, int requestBufferBytes) {
    this.fc = fc;
    this.requestBufferBytes = requestBufferBytes;
    this.writer = new ResponseWriter(this, fc);
    this.upstream = new Upstream(this, fc.responseTimeoutNanos);
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    upstream.init(ctx.channel(), fc.pools(ctx.channel().eventLoop()));
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
    if (pending.closed()) {
      ReferenceCountUtil.release(msg);
      return;
    }
    pending.offer(msg);
    updateReading();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    upstream.flushBody();
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
      if (ex == null || requestReceived) {
        return false; // it belongs to a later pipelined request
      }
      if (heldHead != null) {
        buffer(content);
        return true;
      }
      if (!upstream.connected()) {
        return false;
      }
      forward(content);
      return true;
    }
    if (msg instanceof RejectedRequest rejected) {
      if (ex != null && requestReceived) {
        return false; // it concerns a later pipelined request: answer in order
      }
      reject(rejected);
      return true;
    }
    ReferenceCountUtil.release(msg);
    return true;
  }

  /**
   * Request trailers are not forwarded: no backend asked for them (the proxy sends no {@code TE:
   * trailers} upstream), and fields there would bypass the header rules (an untrusted override
   * header, a forged {@code X-Forwarded-For}). Takes ownership of {@code content}.
   */
  private static HttpContent withoutTrailers(HttpContent content) {
    if (content instanceof LastHttpContent last && !last.trailingHeaders().isEmpty()) {
      return new DefaultLastHttpContent(last.content());
    }
    return content;
  }

  private void updateReading() {
    boolean read =
        !pending.closed() && pending.isEmpty() && (requestReceived || upstream.writable());
    if (read != reading) {
      reading = read;
      ctx.channel().config().setAutoRead(read);
    }
  }

  /**
   * Picks up the connection's {@link ClientOrigin}: set after {@code channelActive} (the PROXY
   * header and the TLS handshake come first), so read at each request; one attribute lookup.
   */
  private void readOrigin() {
    ClientOrigin o = ctx.channel().attr(ClientOrigin.KEY).get();
    if (o != origin) {
      origin = o;
      if (o != null && o.address() != null) {
        clientAddress = o.address().getAddress();
        clientIp =
            clientAddress == null ? o.address().getHostString() : clientAddress.getHostAddress();
      }
    }
  }

  private void startExchange(HttpRequest request) {
    readOrigin();
    Exchange e = new Exchange();
    ex = e;
    fc.exchangeStarted();
    e.startNanos = System.nanoTime();
    e.method = request.method().name();
    e.path = NettyRequestView.pathOf(request.uri());
    requestReceived = false;
    // The framing the decoder validated, read once: it decides buffering and how the head is
    // framed.
    boolean chunked = ForwardHeaders.isChunked(request);
    long length = chunked ? -1 : HttpUtil.getContentLength(request, -1L);
    requestHasBody = chunked || length > 0;
    RoutingTable table = fc.router.current();
    writer.begin(request, table.config().exposeVariantHeader());
    view.origin(origin);
    view.route(table, request, e.path, clientAddress, e.route);
    if (HttpUtil.is100ContinueExpected(request)) {
      // Answer the expectation here (as nginx does) and send the body on without it.
      request.headers().remove(HttpHeaderNames.EXPECT);
      writer.writeContinue();
    }
    ForwardHeaders.prepareRequest(
        request, clientIp, origin != null && origin.secure(), table.headersRead(), chunked, length);
    if (fc.tapFactory != null) {
      tap = fc.tapFactory.tap(request, e, ctx.channel().eventLoop());
      e.mirrored = tap != null;
    }
    if (requestHasBody && requestBufferBytes > 0) {
      heldHead = request; // the backend is chosen now, the connection once the body is read
      return;
    }
    upstream.start(e, request, e.route.backend);
  }

  /** Keeps a body piece until the body is complete or the buffer is full; takes ownership. */
  private void buffer(HttpContent content) {
    boolean last = content instanceof LastHttpContent;
    bufferedBytes += content.content().readableBytes();
    buffered.add(withoutTrailers(content));
    if (last) {
      requestReceived = true;
    }
    if (last || bufferedBytes >= requestBufferBytes) {
      Exchange e = ex;
      HttpRequest head = heldHead;
      heldHead = null;
      upstream.start(e, head, e.route.backend);
      if (ex == e && upstream.connected()) {
        sendBuffered(); // an idle pooled connection was attached at once
      }
    }
  }

  /** Forwards a body piece to the attached backend connection; takes ownership. */
  private void forward(HttpContent content) {
    if (content instanceof LastHttpContent) {
      requestReceived = true;
    }
    upstream.forward(withoutTrailers(content), tap);
  }

  /** Forwards the buffered body pieces, in order, to the connection just attached. */
  private void sendBuffered() {
    HttpContent c;
    while ((c = buffered.poll()) != null) {
      upstream.forward(c, tap);
    }
    bufferedBytes = 0;
    upstream.flush();
  }

  private void releaseBuffered() {
    HttpContent c;
    while ((c = buffered.poll()) != null) {
      c.release();
    }
    bufferedBytes = 0;
    if (heldHead != null) {
      ReferenceCountUtil.release(heldHead);
      heldHead = null;
    }
  }

  // ---- what the Upstream reports and asks (same event loop) ----

  /** The mirror tap of the exchange, or {@code null}. */
  MirrorTap tap() {
    return tap;
  }

  /**
   * True when the request may be sent again: it has no body and the client saw no response byte.
   */
  boolean resendable() {
    return !requestHasBody && !writer.responseStarted();
  }

  /** A connection was opened and the request head sent on it: forward what waited meanwhile. */
  void upstreamConnected() {
    sendBuffered();
    pending.drain();
    upstream.flush();
    updateReading();
  }

  /** A response object from the backend, which arrived at {@code nowNanos}; takes ownership. */
  void onUpstreamRead(Object msg, long nowNanos) {
    if (writer.onBackendMessage(msg, ex, tap, nowNanos)) {
      completeExchange();
    }
  }

  void onUpstreamReadComplete() {
    ctx.flush();
  }

  void onUpstreamWritabilityChanged() {
    updateReading();
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    upstream.setAutoRead(ctx.channel().isWritable());
    ctx.fireChannelWritabilityChanged();
  }

  // ---- ends of an exchange ----

  /** The last response byte was handed to the client connection. */
  private void completeExchange() {
    Exchange e = ex;
    e.endNanos = System.nanoTime();
    boolean requestDone = upstream.requestDone();
    boolean close = writer.closeAfterResponse() || !requestDone;
    upstream.complete(requestDone && writer.backendKeepAlive());
    finish(e);
    if (close) {
      closeAfterFlush();
    } else {
      pending.drain();
      updateReading();
    }
  }

  /**
   * A backend failed the exchange: answer its status if no response started, else cut the client
   * off.
   */
  void upstreamFailed(UpstreamFailure type, Throwable cause) {
    Exchange e = ex;
    e.failure = type;
    log.warn(
        "[{}] upstream failure {} from backend {} ({}){}",
        ctx.channel().id(),
        type.tag(),
        e.route.backend,
        upstream.endpointName(),
        cause == null ? "" : ": " + cause.getMessage());
    fc.listener.onUpstreamFailure(e.route.backend, e, type);
    abandonUpstream();
    if (writer.responseStarted()) {
      e.endNanos = System.nanoTime();
      finish(e);
      ctx.close(); // never present a truncated body as complete
      return;
    }
    boolean close =
        (!requestReceived && requestHasBody) || !writer.clientKeepAlive() || fc.draining();
    writer.writeError(type.status(), "upstream " + type.tag(), type.tag(), close);
    skipBody = !requestReceived;
    e.status = type.status().code();
    e.endNanos = System.nanoTime();
    finish(e);
    if (close) {
      closeAfterFlush();
    } else {
      pending.drain();
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
    upstream.abandon();
  }

  private void finish(Exchange e) {
    releaseBuffered();
    upstream.finish();
    tap = null;
    ex = null;
    writer.reset();
    fc.exchangeFinished();
    fc.listener.onExchangeComplete(e);
  }

  private void closeAfterFlush() {
    pending.close();
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
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
    pending.close();
    upstream.cancelTimer();
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
}
