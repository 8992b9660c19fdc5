/**
 * Turns backend endpoints into socket addresses and keeps them current. {@link
 * io.canaryproxy.discovery.EndpointDirectory} resolves every endpoint given by name, spreads a name
 * over all of its addresses (a headless Service), asks again when the answer's TTL runs out (within
 * {@code dns.minTtl} and {@code dns.maxTtl}), and tells its listeners when a set of addresses
 * changed. Resolution runs on threads of its own, never on an event loop; a name that stops
 * resolving keeps its last addresses.
 */
package io.canaryproxy.discovery;
