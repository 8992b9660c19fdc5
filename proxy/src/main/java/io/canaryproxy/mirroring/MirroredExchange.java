package io.canaryproxy.mirroring;

import io.canaryproxy.forwarding.MirrorTap;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import io.netty.buffer.ByteBuf;

/**
 * The tap of one sampled exchange: hands a marked copy of the request to each {@link ShadowLeg}
 * (the shadow, and the stable baseline when it is on), digests the primary's response as it streams
 * by, and compares once both sides are complete. Every method returns at once; nothing here can
 * pause the primary. Event-loop only.
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

  MirroredExchange(
      Mirroring mirroring, String method, String path, int legCount, boolean baselineLast) {
    this.mirroring = mirroring;
    this.method = method;
    this.path = path;
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

  @Override
  public void onRequest(RequestHead request) {
    for (ShadowLeg leg : legs) {
      leg.send(ShadowRequests.copyHead(request, leg.baseline() ? "" : mirroring.hostSuffix));
    }
  }

  @Override
  public void onRequestBody(ByteBuf piece) {
    bodyBytes += piece.readableBytes();
    if (bodyBytes > mirroring.maxBodyBytes) {
      // A chunked body grew past the limit: the shadow has part of it, so its request is cut off.
      for (ShadowLeg leg : legs) {
        leg.abandon(Outcome.BODY_TOO_LARGE);
      }
      return;
    }
    for (ShadowLeg leg : legs) {
      if (!leg.ended()) {
        leg.send(piece.retainedDuplicate());
      }
    }
  }

  @Override
  public void onRequestEnd() {
    requestDone = true;
    for (ShadowLeg leg : legs) {
      if (!leg.ended()) {
        leg.send(BodyEnd.NONE);
      }
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
    if (primary == null) {
      return;
    }
    primary.complete();
    for (ShadowLeg leg : legs) {
      if (leg.ended() && leg.digest().isComplete()) {
        compare(leg);
      }
    }
  }

  @Override
  public void onAbort() {
    primaryFailed = true;
    if (!requestDone) {
      for (ShadowLeg leg : legs) {
        leg.abandon(Outcome.CANCELLED);
      }
    }
  }

  /** Called once per leg when it ends; {@code completed} when the whole answer arrived. */
  void legEnded(ShadowLeg leg, boolean completed) {
    mirroring.release(1);
    if (!completed) {
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
