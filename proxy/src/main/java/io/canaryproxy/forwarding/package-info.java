/**
 * Streaming requests to a backend pool and responses back. Start at {@link
 * io.canaryproxy.forwarding.ProxyFrontendHandler}, one per client connection, which routes each
 * request, leases a connection from its event loop's {@link
 * io.canaryproxy.forwarding.EndpointPool}, and streams both ways with backpressure. {@link
 * io.canaryproxy.forwarding.UpstreamFailure} lists every way a backend can fail, with its status
 * and metric tag; {@link io.canaryproxy.forwarding.ProxyListener} is how metrics and logs hear
 * about exchanges, and {@link io.canaryproxy.forwarding.MirrorTap} how mirroring sees them.
 */
package io.canaryproxy.forwarding;
