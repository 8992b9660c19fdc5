/**
 * Streaming requests to a backend pool and responses back. Start at {@link
 * io.canaryproxy.forwarding.ProxyFrontendHandler}, one per client connection, which routes each
 * request, buffers a small body before taking a backend connection, and sequences the exchanges
 * (pipelined requests wait in a {@code PipelineQueue}); its {@code Upstream} leases a connection
 * from the event loop's pools (the forwarder's {@link io.canaryproxy.pool.PoolSet}, by backend
 * name) and streams the request there, and its {@code ResponseWriter} streams the response back,
 * both with backpressure. {@link io.canaryproxy.forwarding.UpstreamFailure} lists every way a
 * backend can fail, with its status and metric tag; {@code ForwardHeaders} and {@code HopByHop}
 * decide what a forwarded head carries (the proxy frames every request itself); {@link
 * io.canaryproxy.forwarding.ProxyListener} is how metrics and logs hear about exchanges, and {@link
 * io.canaryproxy.forwarding.MirrorTap} how mirroring sees them.
 */
package io.canaryproxy.forwarding;
