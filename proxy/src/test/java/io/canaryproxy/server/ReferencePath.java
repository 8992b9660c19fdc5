package io.canaryproxy.server;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.forwarding.ForwardedHeadReference;
import io.canaryproxy.http1.Exchange1;
import io.canaryproxy.http1.LeanPath;
import io.canaryproxy.server.http1.RejectedRequest;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.util.List;
import java.util.Map;

/**
 * Today's request path as the reference of the new parser: Netty's decoder with the proxy's decoder
 * and guard, configured as {@link ProxyChannelInitializer} configures them, on an EmbeddedChannel
 * fed piece by piece.
 */
public final class ReferencePath {
  private ReferencePath() {}

  public static Exchange1 run(LimitsConfig limits, List<byte[]> pieces) {
    HttpDecoderConfig config =
        new HttpDecoderConfig()
            .setMaxInitialLineLength(limits.maxRequestLineBytes())
            .setMaxHeaderSize(limits.maxHeaderBytes())
            .setMaxChunkSize(64 * 1024)
            .setAllowDuplicateContentLengths(false)
            .setUseRfc9112TransferEncoding(true);
    Exchange1 out = new Exchange1();
    Collector collector = new Collector(out);
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new ProxyRequestDecoder(config, 0, 0), new RequestGuardHandler(limits), collector);
    for (byte[] piece : pieces) {
      if (out.rejectedStatus != 0) {
        break;
      }
      ch.writeInbound(Unpooled.copiedBuffer(piece));
    }
    collector.closed = true; // what the decoder makes of the end of input is not compared
    ch.finishAndReleaseAll();
    return out;
  }

  private static final class Collector extends ChannelInboundHandlerAdapter {
    private final Exchange1 out;
    private Exchange1.Request current;
    boolean closed;

    Collector(Exchange1 out) {
      this.out = out;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (closed) {
          return;
        }
        if (msg instanceof RejectedRequest rejected) {
          out.rejectedStatus = rejected.status().code();
          out.rejectedInBody = current != null && !current.complete;
          return;
        }
        if (msg instanceof HttpRequest request) {
          current = describe(request);
          out.requests.add(current);
        }
        if (msg instanceof HttpContent content) {
          current.bodyBytes += content.content().readableBytes();
          if (msg instanceof LastHttpContent) {
            current.complete = true;
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }
  }

  private static Exchange1.Request describe(HttpRequest request) {
    Exchange1.Request r = new Exchange1.Request();
    r.method = request.method().name();
    r.target = request.uri();
    r.minor = request.protocolVersion().minorVersion();
    for (Map.Entry<String, String> e : request.headers()) {
      r.fields.add(e.getKey() + ": " + e.getValue());
    }
    boolean chunked = HttpUtil.isTransferEncodingChunked(request);
    long length = HttpUtil.getContentLength(request, -1L);
    r.framing = chunked ? "chunked" : length >= 0 ? "length " + length : "none";
    r.forwardedHead =
        Exchange1.escape(
            ForwardedHeadReference.forwardedHead(
                request,
                LeanPath.CLIENT_IP,
                LeanPath.KEEP,
                LeanPath.DROP,
                LeanPath.HOST_IF_ABSENT));
    return r;
  }
}
