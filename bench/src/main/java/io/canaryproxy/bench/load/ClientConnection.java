package io.canaryproxy.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * One keep-alive connection with at most one request outstanding (no pipelining). All state is
 * touched only on its event loop. In open-loop mode a free connection claims the next slot of the
 * global schedule and sends at the slot's intended time (immediately when that time has passed, so
 * waiting counts in the corrected latency); in closed-loop mode it sends again as soon as a
 * response completes.
 */
final class ClientConnection {
  /**
   * Pause before retrying after a failed connect in closed-loop mode, so a dead target is not
   * hammered.
   */
  private static final long CONNECT_BACKOFF_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private final LoadGenerator.Run run;
  private final EventLoop loop;
  private final Bootstrap bootstrap;
  private Channel channel;
  private boolean inFlight;
  private boolean measured;
  private boolean finished;
  private long intendedNanos;
  private long sentNanos;
  private ScheduledFuture<?> timeout;

  ClientConnection(LoadGenerator.Run run, EventLoop loop) {
    this.run = run;
    this.loop = loop;
    ClientConnection self = this;
    this.bootstrap =
        run.bootstrap
            .clone(loop)
            .handler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast("codec", new HttpClientCodec())
                        .addLast("client", new ClientHandler(self));
                  }
                });
  }

  /** Opens the connection ahead of the run; the future fails when the target cannot be reached. */
  ChannelFuture connect() {
    ChannelFuture f = bootstrap.connect();
    f.addListener(
        (ChannelFutureListener)
            done -> {
              if (done.isSuccess()) {
                channel = done.channel();
              }
            });
    return f;
  }

  /** Starts sending (called once, from any thread). */
  void start() {
    loop.execute(this::next);
  }

  private void next() {
    if (finished) {
      return;
    }
    if (run.closedLoop) {
      long now = System.nanoTime();
      if (now >= run.endNanos) {
        finish();
      } else {
        send(now);
      }
      return;
    }
    long intended = run.claimSlot();
    if (intended >= run.endNanos) {
      finish();
      return;
    }
    long delay = intended - System.nanoTime();
    if (delay > 0) {
      loop.schedule(() -> send(intended), delay, TimeUnit.NANOSECONDS);
    } else {
      send(intended);
    }
  }

  private void send(long intended) {
    intendedNanos = intended;
    measured = intended >= run.measureStartNanos;
    inFlight = true;
    if (channel != null && channel.isActive()) {
      write();
      return;
    }
    bootstrap
        .connect()
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    channel = f.channel();
                    write();
                  } else {
                    end(ErrorType.CONNECT, run.closedLoop ? CONNECT_BACKOFF_NANOS : 0);
                  }
                });
  }

  private void write() {
    Channel ch = channel;
    sentNanos = System.nanoTime();
    timeout =
        loop.schedule(() -> failed(ch, ErrorType.TIMEOUT), run.timeoutNanos, TimeUnit.NANOSECONDS);
    ch.writeAndFlush(run.requests.next())
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (!f.isSuccess()) {
                    failed(ch, ErrorType.WRITE);
                  }
                });
  }

  /** A complete response arrived on {@code ch}. */
  void completed(Channel ch, int status, String variant, boolean keepAlive) {
    if (ch != channel || !inFlight) {
      return;
    }
    long done = System.nanoTime();
    inFlight = false;
    timeout.cancel(false);
    if (measured) {
      run.recording.response(intendedNanos, sentNanos, done, status, variant);
    }
    if (!keepAlive) {
      dropChannel();
    }
    next();
  }

  /**
   * The request on {@code ch} failed; the connection is closed and reopened for the next request.
   */
  void failed(Channel ch, ErrorType type) {
    if (ch != channel || !inFlight) {
      return;
    }
    dropChannel();
    end(type, 0);
  }

  /**
   * {@code ch} closed; an outstanding request on it fails as a read error, an idle close is
   * harmless.
   */
  void closed(Channel ch) {
    if (ch == channel && inFlight) {
      failed(ch, ErrorType.READ);
    } else if (ch == channel) {
      channel = null;
    }
  }

  private void end(ErrorType type, long backoffNanos) {
    inFlight = false;
    if (timeout != null) {
      timeout.cancel(false);
    }
    if (measured) {
      run.recording.failure(type);
    }
    if (backoffNanos > 0) {
      loop.schedule(this::next, backoffNanos, TimeUnit.NANOSECONDS);
    } else {
      loop.execute(this::next);
    }
  }

  private void dropChannel() {
    if (channel != null) {
      Channel ch = channel;
      channel = null;
      ch.close();
    }
  }

  private void finish() {
    finished = true;
    dropChannel();
    run.connectionFinished();
  }
}
