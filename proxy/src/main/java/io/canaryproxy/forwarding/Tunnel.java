package io.canaryproxy.forwarding;

import io.canaryproxy.pool.ConnectionListener;
import io.canaryproxy.pool.PooledConnection;
import io.canaryproxy.routing.Variant;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The byte tunnel a client connection and its backend connection become once the backend answered
 * an upgrade request with {@code 101 Switching Protocols} (a WebSocket, or any other {@code
 * Upgrade}). Bytes are relayed as they come, in both directions, with backpressure: each side is
 * read only while the other can take more bytes. When either side closes, what was read from it is
 * flushed to the other, which is then closed too (as nginx does). The tunnel also closes after
 * {@code timeouts.tunnelIdle} with no byte either way, and when a drain ends. The backend
 * connection is never returned to its pool.
 *
 * <p>The {@link Forwarder} creates it and takes the backend side ({@link ConnectionListener}); the
 * client's protocol adapter calls the {@code client...} methods. Event-loop only, except {@link
 * #closeSoon}.
 */
public final class Tunnel implements ConnectionListener {
  private static final Logger log = LoggerFactory.getLogger(Tunnel.class);

  private final ForwardingContext fc;
  private final PooledConnection backend;
  private final Downstream down;
  private final Variant variant;
  private final EventLoop loop;
  private final Object logId;
  private final long idleNanos;
  private final long openedNanos;
  private final Runnable idleCheck = this::checkIdle;
  private Channel client;
  private long lastActivityNanos;
  private ScheduledFuture<?> idleTimer;
  private boolean closed;

  Tunnel(
      ForwardingContext fc,
      PooledConnection backend,
      Downstream down,
      Variant variant,
      EventLoop loop,
      Object logId) {
    this.fc = fc;
    this.backend = backend;
    this.down = down;
    this.variant = variant;
    this.loop = loop;
    this.logId = logId;
    this.idleNanos = fc.timeouts.tunnelIdle().toNanos();
    this.openedNanos = System.nanoTime();
    this.lastActivityNanos = openedNanos;
    backend.lease(this);
    fc.tunnelOpened(this);
    fc.listener.onTunnelOpened(variant);
    log.debug("[{}] tunnel open to {} ({})", logId, backend.channel().remoteAddress(), variant);
  }

  /**
   * The client side is ready: bytes read from the backend go to {@code clientChannel} from now on.
   * Called by the adapter once it has written the {@code 101} and before it passes client bytes on.
   */
  public void start(Channel clientChannel) {
    client = clientChannel;
    backend.channel().config().setAutoRead(clientChannel.isWritable());
    idleTimer = loop.schedule(idleCheck, idleNanos, TimeUnit.NANOSECONDS);
  }

  // ---- the client side, called by the protocol adapter ----

  /** Bytes from the client, for the backend; takes ownership. */
  public void clientBytes(ByteBuf bytes) {
    if (closed) {
      bytes.release();
      return;
    }
    lastActivityNanos = System.nanoTime();
    Channel ch = backend.channel();
    ch.write(bytes, ch.voidPromise());
  }

  /** The client finished a read burst: flush what went to the backend. */
  public void clientReadComplete() {
    if (!closed) {
      backend.channel().flush();
    }
  }

  /** True until either side closed (or the tunnel timed out or was drained). */
  public boolean open() {
    return !closed;
  }

  /** True while the client should be read: the backend can take more bytes. */
  public boolean wantsInput() {
    return !closed && backend.channel().isWritable();
  }

  /** The client connection's writability changed: read the backend only while it is writable. */
  public void clientWritabilityChanged(boolean writable) {
    if (!closed) {
      backend.channel().config().setAutoRead(writable);
    }
  }

  /** The client connection closed: flush what it sent to the backend, then close that too. */
  public void clientClosed() {
    if (end("client closed")) {
      Channel ch = backend.channel();
      ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> backend.discard());
    }
  }

  /** Closes both sides from any thread (drain timeout), after what each was sent is flushed. */
  public void closeSoon() {
    loop.execute(() -> closeBoth("closed by drain"));
  }

  // ---- the backend side (same event loop) ----

  @Override
  public void onRead(Object msg) {
    if (msg instanceof ByteBuf bytes && !closed && client != null) {
      lastActivityNanos = System.nanoTime();
      client.write(bytes, client.voidPromise());
    } else {
      // The end of the 101 response's (empty) body, or bytes after the tunnel closed.
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void onReadComplete() {
    if (client != null) {
      client.flush();
    }
  }

  @Override
  public void onClosed() {
    if (end("backend closed") && client != null) {
      client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void onWritabilityChanged() {
    down.readingChanged();
  }

  // ---- ends ----

  private void checkIdle() {
    idleTimer = null;
    if (closed) {
      return;
    }
    long idle = System.nanoTime() - lastActivityNanos;
    if (idle >= idleNanos) {
      closeBoth("idle for " + fc.timeouts.tunnelIdle());
    } else {
      idleTimer = loop.schedule(idleCheck, idleNanos - idle, TimeUnit.NANOSECONDS);
    }
  }

  private void closeBoth(String why) {
    if (end(why)) {
      if (client != null) {
        client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
      }
      backend.channel().writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(f -> backend.discard());
    }
  }

  /** Marks the tunnel closed and reports it, once; returns false when it already was. */
  private boolean end(String why) {
    if (closed) {
      return false;
    }
    closed = true;
    if (idleTimer != null) {
      idleTimer.cancel(false);
      idleTimer = null;
    }
    long duration = System.nanoTime() - openedNanos;
    fc.tunnelClosed(this);
    fc.listener.onTunnelClosed(variant, duration);
    log.debug("[{}] tunnel closed after {} ms: {}", logId, duration / 1_000_000, why);
    return true;
  }
}
