package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2LifecycleManager;
import io.netty.handler.codec.http2.Http2Stream;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The limits on what a peer makes the proxy send: the connection ends with GOAWAY
 * ENHANCE_YOUR_CALM, counted as the abuse it is, past the limit and not before.
 */
class Http2OutboundLimitsTest {
  /** Keeps every write unwritten (a peer that reads nothing), until {@link #drain}. */
  private static final class Stuck extends ChannelOutboundHandlerAdapter {
    final List<Object> messages = new ArrayList<>();
    final List<ChannelPromise> promises = new ArrayList<>();

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
      messages.add(msg);
      promises.add(promise);
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {}

    void drain() {
      messages.forEach(ReferenceCountUtil::release);
      promises.forEach(ChannelPromise::trySuccess);
      messages.clear();
      promises.clear();
    }
  }

  /** What the connection handler would be told: its error path, which sends the GOAWAY. */
  private static final class Lifecycle implements Http2LifecycleManager {
    final List<Http2Exception> errors = new ArrayList<>();

    @Override
    public void closeStreamLocal(Http2Stream stream, ChannelFuture future) {}

    @Override
    public void closeStreamRemote(Http2Stream stream, ChannelFuture future) {}

    @Override
    public void closeStream(Http2Stream stream, ChannelFuture future) {}

    @Override
    public ChannelFuture resetStream(
        ChannelHandlerContext ctx, int streamId, long errorCode, ChannelPromise promise) {
      return promise; // written, and not yet taken by the socket
    }

    @Override
    public ChannelFuture goAway(
        ChannelHandlerContext ctx,
        int lastStreamId,
        long errorCode,
        ByteBuf debugData,
        ChannelPromise promise) {
      debugData.release();
      return promise.setSuccess();
    }

    @Override
    public void onError(ChannelHandlerContext ctx, boolean outbound, Throwable cause) {
      errors.add((Http2Exception) cause);
    }

    /** The abuse type of the GOAWAY each error would send. */
    List<Http2Abuse> goAways() {
      return errors.stream()
          .map(e -> Http2Abuse.classify(e.error().code(), e.getMessage()))
          .toList();
    }
  }

  private final Stuck stuck = new Stuck();
  private final EmbeddedChannel channel =
      new EmbeddedChannel(stuck, new ChannelInboundHandlerAdapter());
  private final ChannelHandlerContext ctx = channel.pipeline().lastContext();
  private final Lifecycle lifecycle = new Lifecycle();
  private long now;

  private Http2OutboundLimits limits(int maxQueuedControlFrames, int maxResets) {
    Http2OutboundLimits l =
        new Http2OutboundLimits(
            new DefaultHttp2ConnectionEncoder(
                new DefaultHttp2Connection(true), new DefaultHttp2FrameWriter()),
            maxQueuedControlFrames,
            maxResets,
            30,
            () -> now);
    l.lifecycleManager(lifecycle);
    return l;
  }

  @AfterEach
  void release() {
    stuck.drain();
    channel.finishAndReleaseAll();
  }

  @Test
  void answersThePeerLeavesUnreadEndTheConnectionPastTheLimit() {
    Http2OutboundLimits l = limits(3, 0);
    l.writePing(ctx, true, 1, channel.newPromise());
    l.writeSettingsAck(ctx, channel.newPromise());
    l.writePing(ctx, false, 2, channel.newPromise()); // the proxy's own PING answers nothing
    l.writeRstStream(ctx, 1, Http2Error.CANCEL.code(), channel.newPromise());
    assertThat(lifecycle.errors).isEmpty();
    assertThat(channel.isOpen()).isTrue();

    l.writePing(ctx, true, 3, channel.newPromise());

    assertThat(lifecycle.goAways()).containsExactly(Http2Abuse.CONTROL_FRAME_FLOOD);
    assertThat(lifecycle.errors.get(0).error()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM);
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void answersTheSocketTookNoLongerCount() {
    Http2OutboundLimits l = limits(3, 0);
    for (int round = 0; round < 3; round++) {
      for (int i = 0; i < 3; i++) {
        l.writePing(ctx, true, i, channel.newPromise());
      }
      stuck.drain(); // the peer read them
    }
    assertThat(lifecycle.errors).isEmpty();
    assertThat(channel.isOpen()).isTrue();
  }

  @Test
  void resetsSentForErrorsPastTheLimitWithinTheWindowEndTheConnection() {
    Http2OutboundLimits l = limits(0, 3);
    for (int i = 0; i < 3; i++) {
      l.writeRstStream(ctx, 1 + 2 * i, Http2Error.PROTOCOL_ERROR.code(), channel.newPromise());
    }
    l.writeRstStream(ctx, 7, Http2Error.CANCEL.code(), channel.newPromise());
    l.writeRstStream(ctx, 9, Http2Error.NO_ERROR.code(), channel.newPromise());
    now += TimeUnit.SECONDS.toNanos(29);
    assertThat(lifecycle.errors).isEmpty();

    l.writeRstStream(ctx, 11, Http2Error.REFUSED_STREAM.code(), channel.newPromise());

    assertThat(lifecycle.goAways()).containsExactly(Http2Abuse.RAPID_RESET);
    assertThat(lifecycle.errors.get(0).error()).isEqualTo(Http2Error.ENHANCE_YOUR_CALM);
    assertThat(channel.isOpen()).isFalse();
  }

  @Test
  void aNewWindowStartsTheCountAgain() {
    Http2OutboundLimits l = limits(0, 3);
    for (int window = 0; window < 3; window++) {
      for (int i = 0; i < 3; i++) {
        l.writeRstStream(ctx, 1 + 2 * i, Http2Error.PROTOCOL_ERROR.code(), channel.newPromise());
      }
      now += TimeUnit.SECONDS.toNanos(30);
    }
    assertThat(lifecycle.errors).isEmpty();
    assertThat(channel.isOpen()).isTrue();
  }
}
