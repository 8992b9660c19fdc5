package io.canaryproxy.mirroring;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.pool.BackendPool;
import io.canaryproxy.pool.ConnectionListener;
import io.canaryproxy.pool.EndpointPool;
import io.canaryproxy.pool.PooledConnection;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;

/**
 * One mirrored copy of a request on its way to the shadow (or, for the baseline, to the stable
 * pool): leases or opens a connection, sends what the tap hands it, and reads the answer into a
 * {@link ResponseDigest}. It never waits: while the connection is still opening it queues at most
 * the body limit's worth, and when the connection cannot take bytes it gives the copy up. Holds one
 * slot of {@code maxInFlight} until it ends. Event-loop only.
 */
final class ShadowLeg implements ConnectionListener {
  private final MirroredExchange owner;
  private final boolean baseline;
  private final MirrorStats stats;
  private final ResponseDigest digest;
  private final ArrayDeque<Object> queue = new ArrayDeque<>(4);
  private final long startNanos = System.nanoTime();
  private PooledConnection connection;
  private ScheduledFuture<?> timer;
  private boolean requestSent;
  private boolean gotHead;
  private boolean keepAlive = true;
  private boolean ended;

  /**
   * @param digest receives the answer for comparison, or {@code null} when comparison is off
   */
  ShadowLeg(MirroredExchange owner, boolean baseline, MirrorStats stats, ResponseDigest digest) {
    this.owner = owner;
    this.baseline = baseline;
    this.stats = stats;
    this.digest = digest;
  }

  boolean baseline() {
    return baseline;
  }

  boolean ended() {
    return ended;
  }

  ResponseDigest digest() {
    return digest;
  }

  long startNanos() {
    return startNanos;
  }

  /** Leases an idle connection or starts opening one, and arms the timeout. */
  void start(BackendPool pools, EventLoop loop, long timeoutNanos) {
    stats.count(Outcome.SENT);
    timer = loop.schedule(() -> abandon(Outcome.TIMEOUT), timeoutNanos, TimeUnit.NANOSECONDS);
    EndpointPool endpoint = pools.pick();
    PooledConnection idle = endpoint == null ? null : endpoint.pollIdle();
    if (endpoint == null) {
      end(Outcome.FAILED); // no address yet
    } else if (idle != null) {
      attach(idle);
    } else if (!endpoint.canOpen()) {
      end(Outcome.FAILED);
    } else {
      endpoint.open().addListener(f -> onConnected((Future<PooledConnection>) f));
    }
  }

  private void onConnected(Future<PooledConnection> f) {
    if (!f.isSuccess()) {
      if (!ended) {
        end(Outcome.FAILED);
      }
      return;
    }
    PooledConnection c = f.getNow();
    if (ended) {
      c.release(); // the copy was given up while connecting: keep the fresh connection for the
      // next one
      return;
    }
    attach(c);
  }

  private void attach(PooledConnection c) {
    connection = c;
    c.lease(this);
    Object msg;
    while (!ended && (msg = queue.poll()) != null) {
      write(msg);
    }
  }

  /** Sends the request head or a piece of body; takes ownership of {@code msg}. */
  void send(Object msg) {
    if (ended) {
      ReferenceCountUtil.release(msg);
    } else if (connection == null) {
      queue.add(msg);
    } else {
      write(msg);
    }
  }

  private void write(Object msg) {
    PooledConnection c = connection;
    if (!c.isWritable()) {
      // The shadow is not keeping up: drop the copy rather than buffer or slow the primary.
      ReferenceCountUtil.release(msg);
      abandon(Outcome.DROPPED_UNWRITABLE);
      return;
    }
    if (msg instanceof BodyEnd) {
      requestSent = true;
    }
    c.writeAndFlush(msg);
  }

  @Override
  public void onRead(Object msg) {
    try {
      if (ended) {
        return;
      }
      if (msg instanceof MalformedMessage) {
        abandon(Outcome.FAILED);
      } else if (msg instanceof ResponseHead response) {
        if (response.status() < 200) {
          return; // interim; its body end is skipped below
        }
        keepAlive = !response.closesConnection();
        gotHead = true;
        if (digest != null) {
          digest.head(response);
        }
      } else if (msg instanceof ByteBuf piece) {
        if (gotHead && digest != null) {
          digest.content(piece);
        }
      } else if (msg instanceof BodyEnd end && gotHead) {
        complete(end);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void complete(BodyEnd end) {
    if (digest != null) {
      digest.complete(end.trailers());
    }
    PooledConnection c = connection;
    connection = null;
    if (requestSent && keepAlive) {
      c.release();
    } else {
      c.discard();
    }
    end(Outcome.COMPLETED);
  }

  @Override
  public void onClosed() {
    connection = null;
    if (!ended) {
      end(Outcome.FAILED);
    }
  }

  /**
   * Gives the copy up: closes its connection (the shadow saw part of a request) and ends with
   * {@code outcome}.
   */
  void abandon(Outcome outcome) {
    if (ended) {
      return;
    }
    PooledConnection c = connection;
    connection = null;
    if (c != null) {
      c.discard();
    }
    end(outcome);
  }

  private void end(Outcome outcome) {
    ended = true;
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
    Object msg;
    while ((msg = queue.poll()) != null) {
      ReferenceCountUtil.release(msg);
    }
    stats.count(outcome);
    owner.legEnded(this, outcome);
  }
}
