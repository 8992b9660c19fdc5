package io.canaryproxy.pool;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an exchange leases from an {@link EndpointPool}: the leg it writes its request to ({@link
 * #write}: {@code RequestHead}, body {@code ByteBuf}s, {@code BodyEnd}), whose answer it hears as
 * its {@link ConnectionListener}. For HTTP/1.1 it is the last handler of the connection's pipeline:
 * while leased it hands every event to its listener; while idle in its pool it closes on unexpected
 * input or idleness. On an HTTP/2 backend it is one stream of a {@link MultiplexedConnection}
 * instead, carried by the protocol adapter's {@link Stream} on the shared connection (no channel of
 * its own): used for one exchange, then closed. Event-loop only.
 */
public final class PooledConnection extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(PooledConnection.class);

  /**
   * One HTTP/2 stream as the protocol adapter carries it on its connection: the exchange's messages
   * framed onto the stream, the stream's flow control, and giving the stream up.
   */
  public interface Stream {
    /** Writes {@code msg} ({@code RequestHead}, body {@code ByteBuf}, {@code BodyEnd}); owns it. */
    void write(Object msg);

    /** Sends what was written. */
    void flush();

    /** True while the stream's and the connection's windows take more request bytes. */
    boolean isWritable();

    /**
     * While {@code false}, response bytes are held and not given back to the backend's window, so
     * that the backend stops sending once the stream's window is used up; {@code true} hands over
     * what was held.
     */
    void setReading(boolean reading);

    /** Gives the stream up: resets it unless both sides ended. */
    void close();
  }

  private final EndpointPool pool;

  /** The stream's carrier on its connection (HTTP/2), or {@code null} for HTTP/1.1. */
  private Stream stream;

  /** The connection this stream belongs to, or {@code null} for an HTTP/1.1 connection. */
  private final MultiplexedConnection parent;

  private Channel channel;
  private ConnectionListener owner;
  private BufferedInput input;
  private boolean reused;
  private boolean refused;
  private boolean active;

  PooledConnection(EndpointPool pool) {
    this(pool, null);
  }

  PooledConnection(EndpointPool pool, MultiplexedConnection parent) {
    this.pool = pool;
    this.parent = parent;
  }

  /**
   * True when the peer refused this HTTP/2 stream before processing it (RST_STREAM with
   * REFUSED_STREAM, or a GOAWAY whose last stream id is lower, RFC 9113 §8.7): the request may be
   * sent again on another connection.
   */
  public boolean refused() {
    return refused;
  }

  /** Marks this stream as refused by the peer (see {@link #refused()}); set by the adapter. */
  public void markRefused() {
    refused = true;
  }

  /** The HTTP/1.1 connection's channel; {@code null} for an HTTP/2 stream, which has none. */
  public Channel channel() {
    return channel;
  }

  /** Writes {@code msg} ({@code RequestHead}, body {@code ByteBuf}, {@code BodyEnd}); owns it. */
  public void write(Object msg) {
    if (stream != null) {
      stream.write(msg);
    } else {
      channel.write(msg, channel.voidPromise());
    }
  }

  /** Writes {@code msg} (see {@link #write}) and sends what was written. */
  public void writeAndFlush(Object msg) {
    write(msg);
    flush();
  }

  /** Sends what was written. */
  public void flush() {
    if (stream != null) {
      stream.flush();
    } else {
      channel.flush();
    }
  }

  /** True when the connection (or stream) takes more request bytes now. */
  public boolean isWritable() {
    return stream != null ? stream.isWritable() : channel.isWritable();
  }

  /** Lets the backend's response be read only while {@code read}: backpressure from the client. */
  public void setAutoRead(boolean read) {
    if (stream != null) {
      stream.setReading(read);
    } else if (channel.config().isAutoRead() != read) {
      channel.config().setAutoRead(read);
    }
  }

  /**
   * Makes this an HTTP/2 stream carried by {@code s} on its connection, open from now on; called by
   * the pool once when the stream is opened.
   */
  void opened(Stream s) {
    stream = s;
    active = true;
  }

  // ---- what an HTTP/2 stream's carrier reports (event loop) ----

  /** A message of the stream's response; the leaseholder owns it (released when none). */
  public void streamRead(Object msg) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onRead(msg);
    } else {
      ReferenceCountUtil.release(msg);
    }
  }

  /** The stream's connection finished a read burst that carried some of this stream. */
  public void streamReadComplete() {
    ConnectionListener o = owner;
    if (o != null) {
      o.onReadComplete();
    }
  }

  /** The stream's writability changed. */
  public void streamWritabilityChanged() {
    ConnectionListener o = owner;
    if (o != null) {
      o.onWritabilityChanged();
    }
  }

  /** The stream closed (or could not be opened); reported once, first to its connection. */
  public void streamClosed() {
    if (!active) {
      return;
    }
    active = false;
    parent.streamClosed();
    ConnectionListener o = owner;
    owner = null;
    if (o != null) {
      o.onClosed();
    }
  }

  /** True when this connection already served an earlier request. */
  public boolean reused() {
    return reused;
  }

  /** Hands the connection's events to {@code listener} until it is released or discarded. */
  public void lease(ConnectionListener listener) {
    owner = listener;
  }

  /**
   * Returns the connection to its pool after a complete exchange, ready for the next request;
   * closes it instead when its decoder holds bytes no response accounted for (a backend that wrote
   * past its framing), which must never reach the next user.
   */
  public void release() {
    if (parent != null) {
      // A stream carries one exchange: once both ends are done, closing it sends nothing.
      owner = null;
      stream.close();
      return;
    }
    if (input != null && input.hasBufferedInput()) {
      log.debug(
          "[{}] {} {} sent bytes past its response; not reused",
          channel.id(),
          pool.role(),
          pool.address());
      discard();
      return;
    }
    owner = null;
    reused = true;
    channel.config().setAutoRead(true);
    pool.offer(this);
  }

  /** Closes the connection: the exchange on it cannot be completed or continued. */
  public void discard() {
    owner = null;
    if (stream != null) {
      stream.close();
    } else {
      channel.close();
    }
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    pool.onOpened();
    ctx.fireChannelActive();
  }

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    channel = ctx.channel();
    for (Map.Entry<String, ChannelHandler> e : ctx.pipeline()) {
      if (e.getValue() instanceof BufferedInput b) {
        input = b;
      }
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onRead(msg);
    } else {
      // An idle connection must not speak; whatever it says belongs to no request.
      ReferenceCountUtil.release(msg);
      ctx.close();
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onReadComplete();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    pool.onClosed(this);
    ConnectionListener o = owner;
    owner = null;
    if (o != null) {
      o.onClosed();
    }
  }

  @Override
  public void channelWritabilityChanged(ChannelHandlerContext ctx) {
    ConnectionListener o = owner;
    if (o != null) {
      o.onWritabilityChanged();
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof IdleStateEvent && owner == null) {
      ctx.close();
      return;
    }
    ReferenceCountUtil.release(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug(
        "[{}] {} {} connection error: {}",
        ctx.channel().id(),
        pool.role(),
        pool.address(),
        cause.toString());
    ctx.close();
  }
}
