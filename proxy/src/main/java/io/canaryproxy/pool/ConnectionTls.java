package io.canaryproxy.pool;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslHandler;
import java.net.InetSocketAddress;

/**
 * How connections of one {@link EndpointPool} speak TLS: a new client {@link SslHandler} per
 * connection, which sends SNI and verifies the server's certificate. A pool with one completes
 * {@link EndpointPool#connect()} only once the handshake succeeded, so a pooled connection is
 * handshaken once and then reused.
 */
public interface ConnectionTls {
  /** A client handler for a connection to {@code address}. */
  SslHandler newHandler(ByteBufAllocator alloc, InetSocketAddress address);
}
