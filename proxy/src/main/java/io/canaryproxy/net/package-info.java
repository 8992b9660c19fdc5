/**
 * Address arithmetic shared by configuration, routing and discovery, with no Netty types: {@link
 * io.canaryproxy.net.Cidr} parses address literals and CIDR ranges and tests membership without
 * allocating. It depends on nothing else in the project, so that {@code config} can validate what
 * {@code routing} later matches without the two packages depending on each other.
 */
package io.canaryproxy.net;
