package io.canaryproxy.forwarding;

import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;

/**
 * Sees one sampled exchange as it streams through the proxy, to copy it to a shadow and compare
 * answers. The forwarder calls it on the client's event loop before it writes each object on; the
 * tap must not keep an object without taking its own reference ({@code retainedDuplicate()}), and
 * must never block or throw.
 */
public interface MirrorTap {
  /** The request head, after hop-by-hop headers were removed and forwarding headers added. */
  void onRequest(HttpRequest request);

  /** A piece of request body; {@code last} is true for the final piece. */
  void onRequestContent(HttpContent content, boolean last);

  /** The primary's response head. */
  void onResponse(HttpResponse response);

  /** A piece of the primary's response body; {@code last} is true for the final piece. */
  void onResponseContent(HttpContent content, boolean last);

  /** The primary exchange failed or was cut short; release what is held. Called at most once. */
  void onAbort();

  /** Decides, per request, whether to mirror it. */
  interface Factory {
    /**
     * Returns a tap for this request, or {@code null} when it is not sampled (the common case,
     * which must cost next to nothing).
     */
    MirrorTap tap(HttpRequest request, Exchange exchange, io.netty.channel.EventLoop loop);

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
