package io.canaryproxy.forwarding;

import io.netty.util.AttributeKey;
import java.net.InetSocketAddress;

/**
 * What the listener learned about a client before its first request: the real client address (from
 * a PROXY protocol header, else {@code null} for the socket peer), whether TLS was terminated, the
 * SNI name, and the verified client certificate. The handlers at the front of the pipeline set it
 * as the channel attribute {@link #KEY}; the forwarder reads it per request.
 *
 * @param address the client address a PROXY header gave, or {@code null}: the socket peer
 * @param secure the connection is TLS; {@code X-Forwarded-Proto} is then {@code https}
 * @param sni the server name the client asked for, or {@code null}
 * @param certSubject RFC 2253 subject of the verified client certificate, or {@code null}
 * @param certSan first subject alternative name of that certificate, or {@code null}
 */
public record ClientOrigin(
    InetSocketAddress address, boolean secure, String sni, String certSubject, String certSan) {

  /** The channel attribute holding a connection's origin; absent on a plain, direct connection. */
  public static final AttributeKey<ClientOrigin> KEY = AttributeKey.valueOf("canary.clientOrigin");

  /** A plain connection whose PROXY header named {@code address}. */
  public static ClientOrigin proxied(InetSocketAddress address) {
    return new ClientOrigin(address, false, null, null, null);
  }

  /** This origin on a TLS connection. */
  public ClientOrigin withTls(String sniName, String subject, String san) {
    return new ClientOrigin(address, true, sniName, subject, san);
  }

  /** The client certificate field named by {@code userKey: - clientCert: subject|san}. */
  public String certificate(String field) {
    return "san".equals(field) ? certSan : "subject".equals(field) ? certSubject : null;
  }
}
