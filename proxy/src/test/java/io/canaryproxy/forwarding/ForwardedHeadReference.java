package io.canaryproxy.forwarding;

import io.canaryproxy.server.http1.NettyHeaders;
import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpRequestEncoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.ByteArrayOutputStream;
import java.util.Set;

/**
 * The head today's request path sends a backend for a decoded request: the override header removed
 * when untrusted ({@code NettyRequestView}), {@code Expect: 100-continue} removed once answered
 * ({@code Http1ServerHandler}), {@link ForwardHeaders#prepareRequest}, a missing Host supplied
 * ({@code Forwarder}), the framing of {@code Http1BackendAdapter}, then Netty's request encoder.
 * The oracle of {@code UpstreamHeadWriter}.
 */
public final class ForwardedHeadReference {
  private ForwardedHeadReference() {}

  /** {@link ForwardHeaders#prepareRequest}, for heads of other representations. */
  public static void prepareRequest(
      io.canaryproxy.http.Headers headers, String clientIp, Set<String> keep) {
    ForwardHeaders.prepareRequest(headers, clientIp, keep);
  }

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
    boolean chunked = HttpUtil.isTransferEncodingChunked(request);
    long length = chunked ? -1 : HttpUtil.getContentLength(request, 0L);
    ForwardHeaders.prepareRequest(NettyHeaders.of(request.headers()), clientIp, keep);
    if (hostIfAbsent != null && !request.headers().contains(HttpHeaderNames.HOST)) {
      request.headers().set(HttpHeaderNames.HOST, hostIfAbsent);
    }
    // framed as Http1BackendAdapter frames from the validated body length, in HTTP/1.1
    if (chunked) {
      request.headers().remove(HttpHeaderNames.CONTENT_LENGTH);
      request.headers().set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED);
    } else {
      request.headers().remove(HttpHeaderNames.TRANSFER_ENCODING);
      if (length > 0 && !request.headers().contains(HttpHeaderNames.CONTENT_LENGTH)) {
        request.headers().set(HttpHeaderNames.CONTENT_LENGTH, length);
      }
    }
    request.setProtocolVersion(HttpVersion.HTTP_1_1);
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
