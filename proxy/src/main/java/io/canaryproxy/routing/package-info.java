/**
 * Routing decisions as plain Java, with no Netty types: which backend and variant a request goes
 * to. Start with {@link io.canaryproxy.routing.RoutingTable#route}, an immutable snapshot compiled
 * from the routing config and held live by {@link io.canaryproxy.routing.Router}; {@link
 * io.canaryproxy.routing.Cohorts} defines the sticky bucket hash, {@link io.canaryproxy.net.Cidr}
 * the trusted override addresses, and the Netty layer supplies each request through {@link
 * io.canaryproxy.routing.RequestView}.
 */
package io.canaryproxy.routing;
