/**
 * The load generator: keep-alive Netty connections driven by a global open-loop schedule (or
 * closed-loop), latency recorded corrected and uncorrected in HdrHistogram recorders. Start at
 * {@link io.canaryproxy.bench.load.LoadGenerator}, then {@code ClientConnection}.
 */
package io.canaryproxy.bench.load;
