/**
 * The proxy listener and the HTTP/1.1 decoding on both sides (the adapters that turn it into the
 * exchange model are in {@link io.canaryproxy.server.http1}). {@link
 * io.canaryproxy.server.ProxyServer} binds the listener, and {@link
 * io.canaryproxy.server.ProxyChannelInitializer} is the only place a proxy pipeline (client side
 * and backend side) is assembled. The request decoder adds to Netty's a strict request line ({@code
 * RequestLines}), one Content-Length in every version ({@code LengthFields}), obs-fold detection
 * and the request-header and request-body timeouts; {@link
 * io.canaryproxy.server.RequestGuardHandler} turns anything invalid or over the limits into a
 * rejection. On the backend side, {@code BackendCodec} reads responses strictly, never becomes a
 * pass-through, and tells the pool whether bytes arrived past a response's framing, so that they
 * never reach another user.
 */
package io.canaryproxy.server;
