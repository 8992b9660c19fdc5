/**
 * The proxy listener and the HTTP/1.1 decoding on both sides (the adapters that turn it into the
 * exchange model are in {@link io.canaryproxy.server.http1}). {@link
 * io.canaryproxy.server.ProxyServer} binds the listener, and {@link
 * io.canaryproxy.server.ProxyChannelInitializer} is the only place a proxy pipeline (client side
 * and backend side) is assembled. The client side decodes requests with {@link
 * io.canaryproxy.server.http1.Http1RequestDecoder} (in place, over the received bytes); the Netty
 * decoder and guard it replaced are kept in the tests as the differential test's reference. On the
 * backend side, {@code BackendCodec} reads responses strictly and in place ({@link
 * io.canaryproxy.server.http1.Http1ResponseDecoder}; Netty's decoder with the old checks is kept in
 * the tests as {@code ReferenceResponseDecoder}), becomes a pass-through only after a {@code 101}
 * to an upgrade, and tells the pool whether bytes arrived past a response's framing, so that they
 * never reach another user. {@code IdleTimeoutHandler} times {@code timeouts.clientIdle} on client
 * connections and {@code timeouts.backendIdle} on backend connections with a flag per read or write
 * and a few timer checks per timeout: no clock read per request, and no void promise turned into a
 * real one, as Netty's idle handler did.
 */
package io.canaryproxy.server;
