/**
 * The proxy's own exchange model: what a protocol adapter turns a request or a response into, and
 * all that {@code forwarding}, {@code mirroring}, {@code routing} and {@code metrics} ever see.
 * Start at {@link io.canaryproxy.http.RequestHead} and {@link io.canaryproxy.http.ResponseHead};
 * both carry {@link io.canaryproxy.http.Headers}. A body travels as a sequence of {@code ByteBuf}
 * pieces followed by one {@link io.canaryproxy.http.BodyEnd} (which carries the trailers, if any);
 * a message the adapter could not decode arrives as a {@link io.canaryproxy.http.MalformedMessage}.
 * {@link io.canaryproxy.http.HopByHop} removes the fields that apply to one connection only.
 *
 * <p><b>Ownership, the one rule:</b> whoever receives a body piece ({@code ByteBuf}) owns one
 * reference to it and must either pass it on (which hands the reference over) or release it, once.
 * Whoever keeps a piece beyond the call that handed it over (a mirror copy, a buffered body) takes
 * its own reference first ({@code retainedDuplicate()}). Heads, headers and {@code BodyEnd} are not
 * reference-counted: they belong to the exchange in progress and are valid, and may be changed,
 * only until it ends; keep a copy ({@link io.canaryproxy.http.RequestHead#copy()}), never the head.
 * Everything here is used on one event loop.
 */
package io.canaryproxy.http;
