package io.canaryproxy.server.http1;

import io.canaryproxy.forwarding.ClientOrigin;
import io.canaryproxy.forwarding.Downstream;
import io.canaryproxy.forwarding.Forwarder;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.forwarding.Tunnel;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/1.1 adapter of one client connection: turns decoded requests into the exchange model for
 * its {@link Forwarder}, and writes what the forwarder answers back as HTTP/1.1 (through {@link
 * Http1ResponseWriter}). It owns everything HTTP/1-specific on the client side: pipelining order
 * (requests wait in a {@link PipelineQueue} until the forwarder takes them), reading only while
 * nothing waits and the backend can take bytes, keep-alive and {@code Connection}, {@code Expect:
 * 100-continue}, and answering a {@link RejectedRequest} in order before closing. After a {@code
 * 101} it hands every client byte to the connection's {@link Tunnel}, steering its decoder through
 * {@link RequestFraming}.
 */
public final class Http1ServerHandler extends ChannelInboundHandlerAdapter implements Downstream {
  private static final Logger log = LoggerFactory.getLogger(Http1ServerHandler.class);

  private final ForwardingContext fc;
  private final int requestBufferBytes;
  private final PipelineQueue pending = new PipelineQueue(this::tryHandle);

  /** The request decoder, or {@code null} when upgrades cannot be tunnelled (then declined). */
  private final RequestFraming framing;

  /** The tunnel this connection became after a {@code 101}, or {@code null}. */
  private Tunnel tunnel;

  /**
   * The exchange in progress is for a request with {@code Upgrade}, after whose end the decoder
   * holds back what follows (a later pipelined upgrade request's hold is not this exchange's).
   */
  private boolean upgradeInProgress;

  /** The head of the exchange in progress, handed back to the decoder once the exchange is over. */
  private Http1Head current;

  private Http1ResponseWriter writer;
  private Forwarder forwarder;
  private ChannelHandlerContext ctx;
  private boolean reading = true;

  /**
   * @param requestBufferBytes how much of a request body is read before a backend connection is
   *     taken for it; 0 streams at once
   */
  public Http1ServerHandler(ForwardingContext fc, int requestBufferBytes) {
    this(fc, requestBufferBytes, null);
  }

  /**
   * @param framing the connection's request decoder, which holds back bytes after an upgrade
   *     request until its answer; {@code null} declines every upgrade
   */
  public Http1ServerHandler(ForwardingContext fc, int requestBufferBytes, RequestFraming framing) {
    this.fc = fc;
    this.requestBufferBytes = requestBufferBytes;
    this.framing = framing;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    InetAddress address = null;
    String ip = "unknown";
    if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
      address = remote.getAddress();
      ip = address == null ? remote.getHostString() : address.getHostAddress();
    }
    writer = new Http1ResponseWriter(ctx);
    forwarder =
        new Forwarder(
            fc,
            this,
            ctx.channel().eventLoop(),
            address,
            ip,
            ctx.channel().id(),
            requestBufferBytes,
            true);
    ctx.channel().config().setAutoRead(true);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (tunnel != null) {
      if (msg instanceof ByteBuf bytes) {
        tunnel.clientBytes(bytes);
      } else {
        ReferenceCountUtil.release(msg);
      }
      return;
    }
    if (pending.closed() || forwarder == null) {
      ReferenceCountUtil.release(msg);
      return;
    }
    pending.offer(msg);
    updateReading();
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (tunnel != null) {
      tunnel.clientReadComplete();
      updateReading();
    } else if (forwarder != null) {
      forwarder.readComplete();
    }
  }

  /** True when the request's {@code TE} field lists {@code trailers} (RFC 9110 §10.1.4). */
  private static boolean takesTrailers(Http1Head head) {
    if (!head.contains(HeaderNames.TE)) {
      return false; // most requests: no list to make
    }
    for (String te : head.getAll(HeaderNames.TE)) {
      for (String part : te.split(",")) {
        int semi = part.indexOf(';');
        String coding = (semi < 0 ? part : part.substring(0, semi)).trim();
        if (coding.equalsIgnoreCase("trailers")) {
          return true;
        }
      }
    }
    return false;
  }

  /** Hands a client message to the forwarder if it takes it now; returns false to have it wait. */
  private boolean tryHandle(Object msg) {
    if (msg instanceof Http1Head head) {
      if (forwarder.busy()) {
        return false;
      }
      writer.begin(
          head.keepAlive(),
          head.version() == HttpVersion.HTTP_1_1,
          head.isHead(),
          takesTrailers(head));
      if (head.expectsContinue()) {
        // Answer the expectation here (as nginx does) and send the body on without it.
        writer.writeContinue();
      }
      // Never forwarded, as nginx does: in HTTP/1.0 (no 100 Continue there) as well.
      head.dropExpect();
      forwarder.origin(ctx.channel().attr(ClientOrigin.KEY).get());
      upgradeInProgress = head.upgrade();
      current = head;
      forwarder.offerHead(head);
      return true;
    }
    if (msg instanceof ByteBuf piece) {
      return forwarder.offerBody(piece, false);
    }
    if (msg == Http1RequestDecoder.End.INSTANCE) {
      // Request trailers are not forwarded, only the body (the decoder checked and dropped them):
      // no backend asked for them (the proxy sends no TE: trailers upstream), and fields there
      // would bypass the header rules (an untrusted override header, a forged X-Forwarded-For).
      return forwarder.offerBody(Unpooled.EMPTY_BUFFER, true);
    }
    if (msg instanceof RejectedRequest rejected) {
      if (forwarder.busy() && forwarder.requestReceived()) {
        return false; // it concerns a later pipelined request: answer in order
      }
      reject(rejected);
      return true;
    }
    ReferenceCountUtil.release(msg);
    return true;
  }

  /** A request that must not be forwarded: answer it and close the connection. */
  private void reject(RejectedRequest rejected) {
    if (forwarder.abort(rejected.status().code())) {
      ctx.close(); // the current request turned bad after its response started
      return;
    }
    log.debug(
        "[{}] rejected request: {} {}", ctx.channel().id(), rejected.status(), rejected.reason());
    writer.writeError(rejected.status(), rejected.reason(), null, true);
    closeAfterFlush(true);
  }

  private void updateReading() {
    boolean read =
        tunnel != null
            ? tunnel.wantsInput()
            : !pending.closed()
                && pending.isEmpty()
                && forwarder.wantsInput()
                && (framing == null || !framing.holding());
    if (read != reading) {
      reading = read;
      ctx.channel().config().setAutoRead(read);
    }
  }

  /**
   * Ends the connection once what was written is flushed. {@code clientMaySend}: the client may
   * still be sending (a rejected or unread request), so the close lingers ({@link LingeringClose})
   * lest unread bytes turn it into a reset that destroys the answer.
   */
  private void closeAfterFlush(boolean clientMaySend) {
    pending.close();
    reading = false; // from here on, reading is the lingering close's, or off
    if (clientMaySend) {
      LingeringClose.closeAfterFlush(ctx.channel());
      return;
    }
    ctx.channel().config().setAutoRead(false);
    ctx.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
  }

  // ---- Downstream: what the forwarder hands the client side ----

  @Override
  public boolean isWritable() {
    return ctx.channel().isWritable();
  }

  @Override
  public void interim(ResponseHead head) {
    writer.writeInterim(head);
  }

  @Override
  public void head(ResponseHead head) {
    writer.writeHead(head, fc.draining());
  }

  @Override
  public void body(ByteBuf piece) {
    writer.writeBody(piece);
  }

  @Override
  public void end(BodyEnd end) {
    writer.writeEnd(end);
  }

  @Override
  public void flush() {
    writer.flush();
  }

  @Override
  public void error(UpstreamFailure failure, boolean requestUnread) {
    boolean close = requestUnread || !writer.clientKeepAlive() || fc.draining();
    writer.writeError(
        HttpResponseStatus.valueOf(failure.status()),
        "upstream " + failure.tag(),
        failure.tag(),
        close);
  }

  @Override
  public void abort() {
    writer.discard();
    ctx.close();
  }

  /** The one tail of every exchange: close, or take the next request. */
  @Override
  public void exchangeDone(boolean requestUnfinished) {
    Http1Head done = current;
    current = null;
    boolean close = writer.closeAfterResponse() || requestUnfinished;
    writer.reset();
    if (close) {
      closeAfterFlush(requestUnfinished);
    } else {
      if (done != null && framing != null) {
        framing.recycle(done); // the forwarder and the backend side are done with it
      }
      if (upgradeInProgress && framing != null && framing.holding()) {
        framing.resume(); // the upgrade was not taken: what followed is the next request
      }
      upgradeInProgress = false;
      pending.drain();
      updateReading();
    }
  }

  @Override
  public boolean canTunnel() {
    return framing != null;
  }

  @Override
  public void switchProtocols(ResponseHead head, Tunnel t) {
    writer.writeSwitch(head);
    tunnel = t;
    pending.close();
    t.start(ctx.channel());
    framing.passThrough(); // what the client sent after its request is the first tunnel data
    t.clientReadComplete();
    updateReading();
  }

  @Override
  public void wake() {
    pending.drain();
    updateReading();
  }

  @Override
  public void readingChanged() {
    updateReading();
  }

  // ---- client connection events ----

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (tunnel != null) {
      tunnel.clientWritabilityChanged(ctx.channel().isWritable());
    } else if (forwarder != null) {
      forwarder.clientWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent) {
      if (tunnel != null) {
        if (!tunnel.open()) {
          ctx.close(); // a tunnel that ended but whose last bytes the client does not read
        }
        return; // an open tunnel has its own idle timeout (timeouts.tunnelIdle)
      }
      if (forwarder != null && !forwarder.busy() && pending.isEmpty()) {
        ctx.close();
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    pending.close();
    if (writer != null) {
      writer.discard();
    }
    if (tunnel != null) {
      tunnel.clientClosed();
    }
    if (forwarder != null) {
      forwarder.clientClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] client connection error: {}", ctx.channel().id(), cause.toString());
    ctx.close();
  }
}
