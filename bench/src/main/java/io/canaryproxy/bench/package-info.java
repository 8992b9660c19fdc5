/**
 * The canary-bench command line: {@link io.canaryproxy.bench.BenchMain} wires the picocli commands
 * (load, {@code backend}, {@code report}, {@code jmh}); start reading at {@link
 * io.canaryproxy.bench.LoadCommand}.
 */
package io.canaryproxy.bench;
