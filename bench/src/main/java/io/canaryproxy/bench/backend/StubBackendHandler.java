package io.canaryproxy.bench.backend;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Answers each request after a sampled delay, scheduled on the channel's event loop. Responses on
 * one connection leave in request order even when delays differ, because each is due no earlier
 * than the previous one.
 */
final class StubBackendHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
  private static final byte[] ERROR_BODY = "stub error\n".getBytes(StandardCharsets.US_ASCII);

  private final StubBackend.Settings settings;
  private final long startNanos;
  private final LongAdder served;
  private long lastDueNanos;

  StubBackendHandler(StubBackend.Settings settings, long startNanos, LongAdder served) {
    this.settings = settings;
    this.startNanos = startNanos;
    this.served = served;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
    boolean keepAlive = HttpUtil.isKeepAlive(request);
    if (request.decoderResult().isFailure()) {
      FullHttpResponse bad =
          new DefaultFullHttpResponse(
              HttpVersion.HTTP_1_1, HttpResponseStatus.BAD_REQUEST, Unpooled.EMPTY_BUFFER);
      bad.headers().set(HttpHeaderNames.CONTENT_LENGTH, 0);
      ctx.writeAndFlush(bad).addListener(ChannelFutureListener.CLOSE);
      return;
    }
    long now = System.nanoTime();
    long sinceStart = now - startNanos;
    boolean degraded = settings.degradeAfterNanos >= 0 && sinceStart >= settings.degradeAfterNanos;
    Random random = ThreadLocalRandom.current();
    LatencyDistribution latency = degraded ? settings.degradedLatency : settings.latency;
    double errorRate = degraded ? settings.degradedErrorRate : settings.errorRate;

    long due = now + latency.sampleNanos(random);
    long stallStart = settings.stallAfterNanos;
    long stallEnd = stallStart + settings.stallForNanos;
    if (settings.stallForNanos > 0 && sinceStart >= stallStart && sinceStart < stallEnd) {
      due = Math.max(due, startNanos + stallEnd);
    }
    due = Math.max(due, lastDueNanos);
    lastDueNanos = due;

    boolean error = errorRate > 0 && random.nextDouble() < errorRate;
    long delay = due - now;
    if (delay <= 0) {
      respond(ctx, error, keepAlive);
    } else {
      ctx.executor().schedule(() -> respond(ctx, error, keepAlive), delay, TimeUnit.NANOSECONDS);
    }
  }

  private void respond(ChannelHandlerContext ctx, boolean error, boolean keepAlive) {
    if (!ctx.channel().isActive()) {
      return;
    }
    byte[] body = error ? ERROR_BODY : settings.body;
    FullHttpResponse response =
        new DefaultFullHttpResponse(
            HttpVersion.HTTP_1_1,
            error ? HttpResponseStatus.INTERNAL_SERVER_ERROR : HttpResponseStatus.OK,
            Unpooled.wrappedBuffer(body));
    response
        .headers()
        .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN)
        .setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    if (settings.variantName != null) {
      response.headers().set("x-backend", settings.variantName);
    }
    for (Map.Entry<String, String> h : settings.headers.entrySet()) {
      response.headers().set(h.getKey(), h.getValue());
    }
    served.increment();
    if (keepAlive) {
      ctx.writeAndFlush(response, ctx.voidPromise());
    } else {
      response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
      ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
