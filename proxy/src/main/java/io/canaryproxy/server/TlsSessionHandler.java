package io.canaryproxy.server;

import io.canaryproxy.forwarding.ClientOrigin;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SniCompletionEvent;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.security.cert.Certificate;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sits behind the TLS handler of the listener. It logs the SNI name the client asked for (SNI is
 * not required), and once the handshake succeeds records on the connection's {@link ClientOrigin}
 * that it is TLS and which client certificate was verified, if any; then it removes itself. A
 * failed handshake (a plaintext request, a client that does not trust the certificate, a missing
 * client certificate under {@code clientAuth: require}) closes the connection.
 */
final class TlsSessionHandler extends ChannelInboundHandlerAdapter {
  private static final Logger log = LoggerFactory.getLogger(TlsSessionHandler.class);

  private String sni;

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SniCompletionEvent sniEvent) {
      sni = sniEvent.hostname();
      log.debug("[{}] tls: SNI {}", ctx.channel().id(), sni == null ? "(none)" : sni);
    } else if (evt instanceof SslHandshakeCompletionEvent done) {
      if (done.isSuccess()) {
        established(ctx);
      } else {
        log.debug("[{}] tls handshake failed: {}", ctx.channel().id(), done.cause().toString());
        ctx.close();
      }
    }
    ctx.fireUserEventTriggered(evt);
  }

  private void established(ChannelHandlerContext ctx) {
    SslHandler ssl = ctx.pipeline().get(SslHandler.class);
    SSLSession session = ssl.engine().getSession();
    String subject = null;
    String san = null;
    try {
      Certificate[] peer = session.getPeerCertificates();
      if (peer.length > 0 && peer[0] instanceof X509Certificate leaf) {
        subject = leaf.getSubjectX500Principal().getName();
        san = firstSubjectAltName(leaf);
      }
    } catch (SSLPeerUnverifiedException e) {
      // no client certificate (clientAuth none or optional)
    }
    ClientOrigin before = ctx.channel().attr(ClientOrigin.KEY).get();
    ClientOrigin base = before == null ? new ClientOrigin(null, false, null, null, null) : before;
    ctx.channel().attr(ClientOrigin.KEY).set(base.withTls(sni, subject, san));
    log.debug(
        "[{}] tls: {} {} ALPN {} SNI {} client certificate {}",
        ctx.channel().id(),
        session.getProtocol(),
        session.getCipherSuite(),
        ssl.applicationProtocol(),
        sni,
        subject);
    ctx.pipeline().remove(this);
  }

  private static String firstSubjectAltName(X509Certificate cert) {
    try {
      Collection<List<?>> names = cert.getSubjectAlternativeNames();
      if (names != null) {
        for (List<?> name : names) {
          if (name.size() >= 2 && name.get(1) instanceof String value) {
            return value;
          }
        }
      }
    } catch (CertificateParsingException e) {
      // treated as no SAN
    }
    return null;
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // NotSslRecordException (plaintext on the TLS port), a decode failure: the connection ends.
    log.debug("[{}] tls: {}", ctx.channel().id(), cause.toString());
    ctx.close();
  }
}
