/**
 * JMH microbenchmarks of the hot paths (start with {@link
 * io.canaryproxy.bench.jmh.RecorderBenchmark}); each declares its warmup, measurement and forks,
 * and its header comment says how to run it from the fat jar.
 */
package io.canaryproxy.bench.jmh;
