package io.canaryproxy.server.http2;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ClientOrigin;
import io.canaryproxy.forwarding.Downstream;
import io.canaryproxy.forwarding.Forwarder;
import io.canaryproxy.forwarding.ForwardingContext;
import io.canaryproxy.forwarding.UpstreamFailure;
import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.util.AttributeKey;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP/2 adapter of one stream (a child channel of {@code Http2MultiplexHandler}): the stream's
 * request becomes one exchange of its own {@link Forwarder}, and what the forwarder answers is
 * written back as HEADERS, DATA and trailing HEADERS. Flow control is end to end: the stream is
 * read (and its window re-opened to the client) only while the forwarder takes its body, and the
 * backend is read only while the stream can take bytes (its window and the connection's).
 */
public final class Http2StreamHandler extends ChannelInboundHandlerAdapter implements Downstream {
  private static final Logger log = LoggerFactory.getLogger(Http2StreamHandler.class);

  /** The client connection's address, worked out by its first stream and shared by the others. */
  private static final AttributeKey<Client> CLIENT = AttributeKey.valueOf("canary.h2.client");

  private record Client(InetAddress address, String ip) {
    static Client of(Channel connection) {
      if (connection.remoteAddress() instanceof InetSocketAddress remote) {
        InetAddress address = remote.getAddress();
        return new Client(
            address, address == null ? remote.getHostString() : address.getHostAddress());
      }
      return new Client(null, "unknown");
    }
  }

  /** Names a stream in logs as {@code connection/stream}; the text is made only when logged. */
  private record LogId(Channel connection, int stream) {
    @Override
    public String toString() {
      return connection.id().asShortText() + "/" + stream;
    }
  }

  /** A request body piece the forwarder could not take yet. */
  private record Piece(ByteBuf data, boolean last) {}

  private final ForwardingContext fc;
  private final LimitsConfig limits;
  private final ArrayDeque<Piece> waiting = new ArrayDeque<>(2);
  private ChannelHandlerContext ctx;
  private Forwarder forwarder;
  private boolean headReceived;
  private boolean requestEnded;
  private boolean done;
  private boolean reading = true;
  private long contentLength = -1;
  private long received;

  /** True when the request is a gRPC call: a refusal over a limit is then a gRPC status. */
  private boolean grpc;

  /** The response's frames, once the stream is active. */
  private Http2ResponseFrames out;

  /** {@code timeouts.requestBody}: the longest pause of a request body while the proxy reads it. */
  private final long bodyTimeoutNanos;

  private long lastBodyNanos;
  private ScheduledFuture<?> bodyTimer;

  public Http2StreamHandler(ForwardingContext fc, LimitsConfig limits, long bodyTimeoutNanos) {
    this.fc = fc;
    this.limits = limits;
    this.bodyTimeoutNanos = bodyTimeoutNanos;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    this.ctx = ctx;
    this.out = new Http2ResponseFrames(ctx);
    Channel parent = ctx.channel().parent();
    Client client = parent.attr(CLIENT).get();
    if (client == null) {
      client = Client.of(parent);
      parent.attr(CLIENT).set(client);
    }
    forwarder =
        new Forwarder(
            fc,
            this,
            ctx.channel().eventLoop(),
            client.address(),
            client.ip(),
            new LogId(parent, ((Http2StreamChannel) ctx.channel()).stream().id()),
            limits.requestBufferBytes(),
            false);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (forwarder == null || done) {
      ReferenceCountUtil.release(msg);
      return;
    }
    if (msg instanceof Http2HeadersFrame headers) {
      onHeaders(headers);
    } else if (msg instanceof Http2DataFrame data) {
      onData(data);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (forwarder != null) {
      forwarder.readComplete(); // flushes the request body written to the backend
    }
    ctx.fireChannelReadComplete();
  }

  private void onHeaders(Http2HeadersFrame frame) {
    if (headReceived) {
      // Trailers end the body; like HTTP/1 request trailers they are not forwarded (they would
      // bypass the header rules).
      offer(Unpooled.EMPTY_BUFFER, true);
      return;
    }
    headReceived = true;
    Http2Request request;
    try {
      request = Http2Request.of(frame.headers(), frame.isEndStream());
    } catch (Http2Request.Refused r) {
      refuse(r.status(), r.getMessage());
      return;
    }
    grpc = GrpcCalls.isGrpc(request.headers().get(io.canaryproxy.http.HeaderNames.CONTENT_TYPE));
    if (request.headers().size() > limits.maxHeaders()) {
      refuse(431, "too many header fields");
      return;
    }
    contentLength = request.bodyLength();
    if (contentLength > limits.maxBodyBytes()) {
      refuse(413, "request body larger than limits.maxBodyBytes");
      return;
    }
    forwarder.origin(ctx.channel().parent().attr(ClientOrigin.KEY).get());
    forwarder.offerHead(request);
    if (frame.isEndStream()) {
      offer(Unpooled.EMPTY_BUFFER, true);
    } else {
      lastBodyNanos = System.nanoTime();
      bodyTimer = ctx.executor().schedule(this::checkBody, bodyTimeoutNanos, TimeUnit.NANOSECONDS);
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

  private void onData(Http2DataFrame frame) {
    ByteBuf data = frame.content();
    boolean last = frame.isEndStream();
    lastBodyNanos = System.nanoTime();
    received += data.readableBytes();
    if (received > limits.maxBodyBytes()) {
      frame.release();
      refuse(413, "request body larger than limits.maxBodyBytes");
      return;
    }
    // RFC 9113 §8.1.1: a body that does not match its content-length is malformed; forwarded to
    // an HTTP/1.1 backend, the excess would be read as another request.
    if (contentLength >= 0 && (received > contentLength || last && received != contentLength)) {
      frame.release();
      refuse(400, "body length differs from content-length");
      return;
    }
    offer(data, last);
  }

  private void offer(ByteBuf piece, boolean last) {
    if (last) {
      requestEnded = true;
    }
    if (!waiting.isEmpty() || !forwarder.offerBody(piece, last)) {
      waiting.add(new Piece(piece, last));
    }
    updateReading();
  }

  private void drain() {
    Piece p;
    while ((p = waiting.peek()) != null && forwarder.offerBody(p.data(), p.last())) {
      waiting.poll();
    }
  }

  private void updateReading() {
    // Once done, whatever still arrives is read and dropped, which also re-opens its window.
    boolean read = done || waiting.isEmpty() && forwarder.wantsInput();
    if (read != reading) {
      reading = read;
      ctx.channel().config().setAutoRead(read);
      if (read) {
        lastBodyNanos = System.nanoTime(); // the pause was the proxy's
        // The stream channel returns the window of what was read when asked to read again, but
        // leaves that WINDOW_UPDATE unflushed when it stopped in the middle of a read of its own
        // (see Http2BackendAdapter#read): without this flush the client waits for window forever.
        ctx.channel().flush();
      }
    }
  }

  /** A request that must not be forwarded: answer it (or reset the stream) and stop reading. */
  private void refuse(int status, String reason) {
    log.debug("[{}] h2 request refused: {} {}", ctx.channel(), status, reason);
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

  private void releaseWaiting() {
    Piece p;
    while ((p = waiting.poll()) != null) {
      p.data().release();
    }
  }

  // ---- Downstream: what the forwarder hands the client side ----

  @Override
  public boolean isWritable() {
    return ctx.channel().isWritable();
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
      ctx.channel().parent().close(); // GOAWAY; the streams in progress still finish
    }
  }

  @Override
  public void wake() {
    drain();
    updateReading();
  }

  @Override
  public void readingChanged() {
    updateReading();
  }

  // ---- stream channel events ----

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    if (forwarder != null) {
      forwarder.clientWritabilityChanged(ctx.channel().isWritable());
    }
    ctx.fireChannelWritabilityChanged();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    done = true;
    cancelBodyTimer();
    if (out != null) {
      out.discard();
    }
    releaseWaiting();
    if (forwarder != null) {
      forwarder.clientClosed();
    }
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] h2 stream error: {}", ctx.channel(), cause.toString());
    ctx.close();
  }
}
