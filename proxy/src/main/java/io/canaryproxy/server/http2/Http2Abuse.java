package io.canaryproxy.server.http2;

import io.netty.handler.codec.http2.Http2Error;
import java.util.Locale;

/**
 * Why the proxy ended an HTTP/2 client connection with a GOAWAY: the value of the {@code type}
 * label of {@code canary_proxy_http2_goaways_total}. Bounded: one value per limit, and {@link
 * #PROTOCOL_ERROR} for any other violation of the protocol.
 */
public enum Http2Abuse {
  /** more streams reset than {@code limits.http2.maxResets} per {@code resetWindow} */
  RAPID_RESET("rapid_reset"),
  /** more unread control-frame answers (SETTINGS, PING acks) than {@code maxQueuedControlFrames} */
  CONTROL_FRAME_FLOOD("control_frame_flood"),
  /** more consecutive empty DATA frames than {@code maxEmptyFrames} */
  EMPTY_FRAMES("empty_frames"),
  /** more tiny CONTINUATION frames in a row than {@code maxSmallContinuationFrames} */
  CONTINUATION_FLOOD("continuation_flood"),
  /** a header list far past {@code limits.maxHeaderBytes} */
  HEADER_LIST_SIZE("header_list_size"),
  /** a flow-control violation: a window pushed past 2^31-1, or more data than the window */
  FLOW_CONTROL("flow_control"),
  /** any other protocol violation */
  PROTOCOL_ERROR("protocol_error");

  private final String tag;

  Http2Abuse(String tag) {
    this.tag = tag;
  }

  public String tag() {
    return tag;
  }

  /**
   * The type of a GOAWAY the codec sent with {@code errorCode} and {@code debugText}, or {@code
   * null} when the client did nothing wrong: a graceful one (NO_ERROR), or INTERNAL_ERROR, which
   * the codec sends when the proxy's own side failed, e.g. a write to a client that hung up with
   * data unread ("writevAddresses(..) failed: Broken pipe", at the end of every h2load run).
   * Counting those as protocol errors would make a client's ordinary hang-up look like an attack.
   */
  static Http2Abuse classify(long errorCode, String debugText) {
    if (errorCode == Http2Error.NO_ERROR.code() || errorCode == Http2Error.INTERNAL_ERROR.code()) {
      return null;
    }
    String text = debugText.toLowerCase(Locale.ROOT);
    if (text.contains("rst frames")) {
      return RAPID_RESET;
    }
    if (text.contains("control frames")) {
      return CONTROL_FRAME_FLOOD;
    }
    if (text.contains("empty data")) {
      return EMPTY_FRAMES;
    }
    if (text.contains("continuation")) {
      return CONTINUATION_FLOOD;
    }
    if (text.contains("header size") || text.contains("header list")) {
      return HEADER_LIST_SIZE;
    }
    if (errorCode == Http2Error.FLOW_CONTROL_ERROR.code() || text.contains("window")) {
      return FLOW_CONTROL;
    }
    return PROTOCOL_ERROR;
  }
}
