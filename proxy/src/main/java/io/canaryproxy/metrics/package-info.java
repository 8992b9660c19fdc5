/**
 * Latency histograms, Prometheus meters and the access log, all fed by {@link
 * io.canaryproxy.forwarding.ProxyListener} events: {@link io.canaryproxy.metrics.LatencyRecorders}
 * keeps one HdrHistogram recorder per variant and measure and is rolled into {@link
 * io.canaryproxy.metrics.IntervalSnapshot}s by {@link io.canaryproxy.metrics.MetricsScheduler} for
 * the canary judge and the admin API; {@link io.canaryproxy.metrics.MicrometerBinding} exports
 * pre-created, bounded-label meters whose names all live in {@link
 * io.canaryproxy.metrics.MetricNames}, the request duration histograms as {@link
 * io.canaryproxy.metrics.DurationHistogram}s (per-thread cells, exported as Micrometer timers
 * were); {@link io.canaryproxy.metrics.AccessLog} writes sampled JSON lines off the event loop.
 * Start reading at {@code LatencyRecorders}.
 */
package io.canaryproxy.metrics;
