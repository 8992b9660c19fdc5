package io.canaryproxy.mirroring;

import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.canaryproxy.pool.BackendPool;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;

/**
 * The tap of one sampled exchange: hands a marked copy of the request to each {@link ShadowLeg}
 * (the shadow, and the stable baseline when it is on), digests the primary's response as it streams
 * by, and compares once both sides are complete. Every method returns at once; nothing here can
 * pause the primary. Event-loop only.
 *
 * <p>A gRPC call under {@code mirror.grpc: unary} is held: its head and body are kept (up to {@code
 * mirror.maxBodyBytes}) and the legs start only once the request ended holding exactly one
 * length-prefixed message ({@link UnaryCheck}); otherwise nothing is sent and the copy counts as
 * {@link Outcome#GRPC_STREAMING}.
 */
final class MirroredExchange implements MirrorTap {
  private final Mirroring mirroring;
  private final String method;
  private final String path;
  private final ShadowLeg[] legs;
  private final ResponseDigest primary;
  private long bodyBytes;
  private boolean requestDone;
  private boolean primaryFailed;

  /** Where the legs go, kept until they start. */
  private BackendPool[] legPools;

  private EventLoop loop;
  private long timeoutNanos;

  /** True while the request is held until it shows to be unary. */
  private boolean holding;

  private RequestHead heldHead;
  private final ArrayDeque<ByteBuf> heldBody = new ArrayDeque<>(2);

  MirroredExchange(
      Mirroring mirroring,
      String method,
      String path,
      int legCount,
      boolean baselineLast,
      boolean holdUntilUnary) {
    this.mirroring = mirroring;
    this.method = method;
    this.path = path;
    this.holding = holdUntilUnary;
    this.primary = mirroring.compare ? mirroring.newDigest() : null;
    this.legs = new ShadowLeg[legCount];
    for (int i = 0; i < legCount; i++) {
      boolean baseline = baselineLast && i == legCount - 1;
      legs[i] =
          new ShadowLeg(
              this, baseline, mirroring.stats, mirroring.compare ? mirroring.newDigest() : null);
    }
  }

  ShadowLeg[] legs() {
    return legs;
  }

  /**
   * Starts each leg on its pool ({@code pools[i]} for {@code legs()[i]}), now or, for a held gRPC
   * call, once the request showed to be unary.
   */
  void start(BackendPool[] pools, EventLoop loop, long timeoutNanos) {
    this.legPools = pools;
    this.loop = loop;
    this.timeoutNanos = timeoutNanos;
    if (!holding) {
      startLegs();
    }
  }

  private void startLegs() {
    for (int i = 0; i < legs.length; i++) {
      legs[i].start(legPools[i], loop, timeoutNanos);
    }
    legPools = null;
  }

  @Override
  public void onRequest(RequestHead request) {
    if (holding) {
      heldHead = request.copy();
      return;
    }
    sendHead(request);
  }

  private void sendHead(RequestHead request) {
    for (ShadowLeg leg : legs) {
      leg.send(ShadowRequests.copyHead(request, leg.baseline() ? "" : mirroring.hostSuffix));
    }
  }

  @Override
  public void onRequestBody(ByteBuf piece) {
    bodyBytes += piece.readableBytes();
    if (bodyBytes > mirroring.maxBodyBytes) {
      if (holding) {
        giveUpHeld(Outcome.BODY_TOO_LARGE);
        return;
      }
      // A chunked body grew past the limit: the shadow has part of it, so its request is cut off.
      for (ShadowLeg leg : legs) {
        leg.abandon(Outcome.BODY_TOO_LARGE);
      }
      return;
    }
    if (holding) {
      if (heldHead != null) {
        heldBody.add(piece.retainedDuplicate());
      }
      return;
    }
    sendBody(piece);
  }

  private void sendBody(ByteBuf piece) {
    for (ShadowLeg leg : legs) {
      if (!leg.ended()) {
        leg.send(piece.retainedDuplicate());
      }
    }
  }

  @Override
  public void onRequestEnd() {
    requestDone = true;
    if (holding) {
      if (heldHead == null) {
        return; // given up already
      }
      if (!UnaryCheck.isOneMessage(heldBody)) {
        giveUpHeld(Outcome.GRPC_STREAMING);
        return;
      }
      holding = false;
      startLegs();
      sendHead(heldHead);
      heldHead = null;
      ByteBuf piece;
      while ((piece = heldBody.poll()) != null) {
        sendBody(piece);
        piece.release();
      }
    }
    for (ShadowLeg leg : legs) {
      if (!leg.ended()) {
        leg.send(BodyEnd.NONE);
      }
    }
  }

  /** A held call is not mirrored: drops what was kept and frees the legs' in-flight slots. */
  private void giveUpHeld(Outcome outcome) {
    boolean counted = heldHead != null;
    heldHead = null;
    ByteBuf piece;
    while ((piece = heldBody.poll()) != null) {
      piece.release();
    }
    if (counted) {
      mirroring.stats.count(outcome);
      mirroring.release(legs.length);
    }
  }

  @Override
  public void onResponse(ResponseHead response) {
    if (primary != null) {
      primary.head(response);
    }
  }

  @Override
  public void onResponseBody(ByteBuf piece) {
    if (primary != null) {
      primary.content(piece);
    }
  }

  @Override
  public void onResponseEnd() {
    onResponseEnd(BodyEnd.NONE);
  }

  @Override
  public void onResponseEnd(BodyEnd end) {
    if (primary == null) {
      return;
    }
    primary.complete(end.trailers());
    for (ShadowLeg leg : legs) {
      if (leg.ended() && leg.digest().isComplete()) {
        compare(leg);
      }
    }
  }

  @Override
  public void onAbort() {
    primaryFailed = true;
    if (holding) {
      giveUpHeld(Outcome.CANCELLED);
      return;
    }
    if (!requestDone) {
      for (ShadowLeg leg : legs) {
        leg.abandon(Outcome.CANCELLED);
      }
    }
  }

  /** Called once per leg when it ends, with its outcome. */
  void legEnded(ShadowLeg leg, Outcome outcome) {
    mirroring.release(1);
    if (!leg.baseline()) {
      mirroring.shadowEnded(outcome, leg.startNanos());
    }
    if (outcome != Outcome.COMPLETED) {
      return;
    }
    if (!leg.baseline()) {
      mirroring.recordLatency(System.nanoTime() - leg.startNanos());
    }
    if (primary != null && primary.isComplete()) {
      compare(leg);
    }
  }

  private void compare(ShadowLeg leg) {
    if (primaryFailed) {
      return;
    }
    ComparisonResult result = mirroring.comparator.compare(primary, leg.digest());
    mirroring.stats.compared(leg.baseline(), result, method, path);
  }
}
