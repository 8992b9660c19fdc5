/**
 * The proxy listener: {@link io.canaryproxy.server.ProxyServer} binds it, and {@link
 * io.canaryproxy.server.ProxyChannelInitializer} is the only place a proxy pipeline (client side
 * and backend side) is assembled. The request decoder adds obs-fold detection and the
 * request-header timeout to Netty's, and {@link io.canaryproxy.server.RequestGuardHandler} turns
 * anything invalid or over the limits into a rejection.
 */
package io.canaryproxy.server;
