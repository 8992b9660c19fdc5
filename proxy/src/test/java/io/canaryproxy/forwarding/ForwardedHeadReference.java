package io.canaryproxy.forwarding;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpUtil;
import java.io.ByteArrayOutputStream;
import java.util.Set;

/**
 * The head today's request path sends a backend for a decoded request: the override header removed
 * when untrusted ({@code NettyRequestView}), {@code Expect: 100-continue} removed once answered
 * ({@code ProxyFrontendHandler}), {@link ForwardHeaders#prepareRequest}, a missing Host supplied
 * ({@code Upstream}), then Netty's request encoder. The oracle of {@code UpstreamHeadWriter}.
 */
public final class ForwardedHeadReference {
  private ForwardedHeadReference() {}

  /** Edits {@code request} as the forwarder does and returns the encoded head. */
  public static byte[] forwardedHead(
      HttpRequest request,
      String clientIp,
      Set<String> keep,
      String dropField,
      String hostIfAbsent) {
    if (dropField != null) {
      request.headers().remove(dropField);
    }
    if (HttpUtil.is100ContinueExpected(request)) {
      request.headers().remove(HttpHeaderNames.EXPECT);
    }
    boolean chunked = ForwardHeaders.isChunked(request);
    long length = chunked ? -1 : HttpUtil.getContentLength(request, -1L);
    ForwardHeaders.prepareRequest(request, clientIp, keep, chunked, length);
    if (hostIfAbsent != null && !request.headers().contains(HttpHeaderNames.HOST)) {
      request.headers().set(HttpHeaderNames.HOST, hostIfAbsent);
    }
    EmbeddedChannel encoder = new EmbeddedChannel(new HttpRequestEncoder());
    encoder.writeOutbound(request);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuf b;
    while ((b = encoder.readOutbound()) != null) {
      byte[] bytes = new byte[b.readableBytes()];
      b.readBytes(bytes);
      b.release();
      out.writeBytes(bytes);
    }
    encoder.finishAndReleaseAll();
    return out.toByteArray();
  }
}
