package io.canaryproxy.server;

import io.canaryproxy.forwarding.ClientOrigin;
import io.canaryproxy.net.Cidr;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.haproxy.HAProxyCommand;
import io.netty.handler.codec.haproxy.HAProxyMessage;
import io.netty.handler.codec.haproxy.HAProxyProxiedProtocol;
import io.netty.util.ReferenceCountUtil;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the PROXY protocol header (v1 or v2) that {@code HAProxyMessageDecoder} decoded in front of
 * it and records its source as the connection's client address ({@link ClientOrigin}), so that
 * {@code override.trustedCidrs} and {@code X-Forwarded-For} see the real client rather than the
 * load balancer. A {@code LOCAL} header (a balancer's health check) or an {@code UNKNOWN} protocol
 * keeps the socket peer. A connection that does not start with a valid header is closed. Removes
 * itself after the header.
 */
final class ProxyProtocolHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(ProxyProtocolHandler.class);

  /** Fired once the header was taken, for {@link SetupTimeoutHandler}. */
  static final Object RECEIVED = "proxy-protocol-received";

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (!(msg instanceof HAProxyMessage header)) {
      ctx.fireChannelRead(msg);
      return;
    }
    try {
      if (header.command() == HAProxyCommand.PROXY
          && header.proxiedProtocol() != HAProxyProxiedProtocol.UNKNOWN
          && header.proxiedProtocol().transportProtocol()
              != HAProxyProxiedProtocol.TransportProtocol.DGRAM) {
        InetAddress source = Cidr.parseLiteral(header.sourceAddress());
        if (source != null) {
          ctx.channel()
              .attr(ClientOrigin.KEY)
              .set(ClientOrigin.proxied(new InetSocketAddress(source, header.sourcePort())));
        }
      }
      log.debug(
          "[{}] PROXY {} {} from {}:{}",
          ctx.channel().id(),
          header.protocolVersion(),
          header.command(),
          header.sourceAddress(),
          header.sourcePort());
    } finally {
      ReferenceCountUtil.release(header);
    }
    ctx.fireUserEventTriggered(RECEIVED);
    ctx.pipeline().remove(this);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    log.debug("[{}] no valid PROXY protocol header: {}", ctx.channel().id(), cause.toString());
    ctx.close();
  }
}
