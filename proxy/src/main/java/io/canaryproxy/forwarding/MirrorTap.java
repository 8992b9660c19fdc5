package io.canaryproxy.forwarding;

import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;

/**
 * Sees one sampled exchange as it streams through the proxy, to copy it to a shadow and compare
 * answers. The forwarder calls it on the client's event loop before it passes each part on; the tap
 * keeps nothing it was handed without taking its own reference or copy (see the ownership rule in
 * {@link io.canaryproxy.http}), and must never block or throw.
 */
public interface MirrorTap {
  /** The request head, after hop-by-hop headers were removed and forwarding headers added. */
  void onRequest(RequestHead request);

  /** A piece of request body (never empty). */
  void onRequestBody(ByteBuf piece);

  /** The request body is complete. */
  void onRequestEnd();

  /** The primary's final response head. */
  void onResponse(ResponseHead response);

  /** A piece of the primary's response body. */
  void onResponseBody(ByteBuf piece);

  /** The primary's response is complete. */
  void onResponseEnd();

  /**
   * The primary's response is complete, with {@code end} carrying its trailers (a gRPC status); by
   * default the same as {@link #onResponseEnd()}.
   */
  default void onResponseEnd(io.canaryproxy.http.BodyEnd end) {
    onResponseEnd();
  }

  /** The primary exchange failed or was cut short; release what is held. Called at most once. */
  void onAbort();

  /** Decides, per request, whether to mirror it. */
  interface Factory {
    /**
     * Returns a tap for this request, or {@code null} when it is not sampled (the common case,
     * which must cost next to nothing).
     */
    MirrorTap tap(RequestHead request, Exchange exchange, io.netty.channel.EventLoop loop);

    /**
     * Creates whatever per-event-loop state the taps need (such as their own connection pools),
     * using {@code pipelines} to assemble backend connection pipelines and {@code directory} for
     * endpoint addresses. Called once by the server, before it accepts, never on an event loop; it
     * may block to resolve names.
     */
    default void initPools(
        io.netty.channel.EventLoopGroup group,
        BackendPipelineFactory pipelines,
        io.canaryproxy.discovery.EndpointDirectory directory)
        throws InterruptedException {}
  }
}
