/**
 * Streaming requests to a backend pool and responses back, protocol-free: this package speaks only
 * the exchange model of {@link io.canaryproxy.http}. Start at {@link
 * io.canaryproxy.forwarding.Forwarder}, the state machine of one client connection's exchanges: it
 * routes each request, holds a small body before taking a backend connection, and ends every
 * exchange in one place. Its collaborators report back through narrow interfaces: the {@code
 * Upstream} (the backend leg: leases a connection from the event loop's pools, the forwarder's
 * {@link io.canaryproxy.pool.PoolSet} by backend name, retries a dead reused connection once, times
 * the response out) through {@code Upstream.Events}, and the client side is a {@link
 * io.canaryproxy.forwarding.Downstream} implemented by the protocol adapter in {@code server}.
 * {@link io.canaryproxy.forwarding.UpstreamFailure} lists every way a backend can fail, with its
 * status and metric tag; {@code ForwardHeaders} decides what a forwarded head carries; {@link
 * io.canaryproxy.forwarding.ProxyListener} is how metrics and logs hear about exchanges, and {@link
 * io.canaryproxy.forwarding.MirrorTap} how mirroring sees them. After a {@code 101} to an upgrade
 * request, a {@link io.canaryproxy.forwarding.Tunnel} relays bytes between the client and the
 * backend connection until either side closes.
 */
package io.canaryproxy.forwarding;
