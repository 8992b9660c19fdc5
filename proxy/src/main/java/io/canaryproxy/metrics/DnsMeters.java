package io.canaryproxy.metrics;

import io.canaryproxy.discovery.EndpointDirectory;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The meters of endpoint name resolution: {@link MetricNames#DNS_RESOLUTIONS} by outcome and {@link
 * MetricNames#DNS_CHANGES}, read from the {@link EndpointDirectory}'s own counters at scrape time.
 */
public final class DnsMeters {
  private DnsMeters() {}

  /** Registers the DNS meters of {@code directory} in {@code registry}. */
  public static void bindTo(MeterRegistry registry, EndpointDirectory directory) {
    for (boolean success : new boolean[] {true, false}) {
      FunctionCounter.builder(
              MetricNames.DNS_RESOLUTIONS,
              directory,
              success ? EndpointDirectory::successes : EndpointDirectory::failures)
          .description(
              "Resolutions of endpoint names by outcome; a failure keeps the previous addresses")
          .tag(MetricNames.TAG_OUTCOME, success ? "success" : "failure")
          .register(registry);
    }
    FunctionCounter.builder(MetricNames.DNS_CHANGES, directory, EndpointDirectory::changes)
        .description("Times the address set of an endpoint name changed")
        .register(registry);
  }
}
