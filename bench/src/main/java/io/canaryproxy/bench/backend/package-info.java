/**
 * The stub backend used by the CLI's {@code backend} subcommand and by tests: start at {@link
 * io.canaryproxy.bench.backend.StubBackend#builder()}; delays come from a {@link
 * io.canaryproxy.bench.backend.LatencyDistribution} and are scheduled on the event loop.
 */
package io.canaryproxy.bench.backend;
