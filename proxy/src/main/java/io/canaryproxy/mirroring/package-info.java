/**
 * Traffic mirroring: a sample of live requests is copied to a shadow backend, fire-and-forget, and
 * the shadow's answers are compared with the primary's. Start with {@link
 * io.canaryproxy.mirroring.Mirroring}, the {@code MirrorTap.Factory} the forwarder asks about each
 * request; {@link io.canaryproxy.mirroring.MirrorSampler} decides which requests are copied, {@code
 * MirroredExchange} and {@code ShadowLeg} carry one copy over the shadow's own connection pools (a
 * {@link io.canaryproxy.pool.PoolSet} of its own, separate from the primary's) without ever pausing
 * the primary, {@code ShadowEjection} stops the copies for a while when the shadow keeps failing,
 * {@code ResponseComparator} compares status, headers and body digests (or JSON trees), and {@link
 * io.canaryproxy.mirroring.MirrorStats} counts it all.
 */
package io.canaryproxy.mirroring;
