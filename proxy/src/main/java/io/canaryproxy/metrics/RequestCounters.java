package io.canaryproxy.metrics;

import io.canaryproxy.grpc.GrpcStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The {@code canary_proxy_requests_total} counters of one variant (or experiment arm), by status
 * class and gRPC status: {@code grpc_status} is {@code none} for a request that is not gRPC, else
 * the name of the status its call ended with ({@code OK} … {@code UNAUTHENTICATED}), so a variant
 * has at most 6 × 18 series. The {@code none} series exist from the start; a gRPC one is registered
 * the first time it is counted, so a proxy that carries no gRPC exports none of them. Any thread.
 */
final class RequestCounters {
  static final String[] STATUS_CLASSES = {"none", "1xx", "2xx", "3xx", "4xx", "5xx"};

  /** The {@code grpc_status} of requests that are not gRPC. */
  static final String NOT_GRPC = "none";

  private static final GrpcStatus[] GRPC = GrpcStatus.values();

  private final MeterRegistry registry;
  private final String variant;

  /**
   * [status class][0 for not gRPC, else code + 1]. Filled lazily and without a lock: a slot read as
   * null is registered again, and the registry hands back the same counter.
   */
  private final Counter[][] counters = new Counter[STATUS_CLASSES.length][GRPC.length + 1];

  RequestCounters(MeterRegistry registry, String variant) {
    this.registry = registry;
    this.variant = variant;
    for (int s = 0; s < STATUS_CLASSES.length; s++) {
      counters[s][0] = register(s, 0);
    }
  }

  /** Counts one request answered with HTTP {@code status} ending with {@code grpc} (or null). */
  void increment(int status, GrpcStatus grpc) {
    int s = MicrometerBinding.statusClass(status);
    int g = grpc == null ? 0 : grpc.code() + 1;
    Counter c = counters[s][g];
    if (c == null) {
      c = register(s, g);
      counters[s][g] = c;
    }
    c.increment();
  }

  private Counter register(int statusClass, int grpc) {
    return Counter.builder(MetricNames.REQUESTS)
        .description(
            "Requests answered, by variant, status class and gRPC status (none when not gRPC)")
        .tags(
            MetricNames.TAG_VARIANT,
            variant,
            MetricNames.TAG_STATUS_CLASS,
            STATUS_CLASSES[statusClass],
            MetricNames.TAG_GRPC_STATUS,
            grpc == 0 ? NOT_GRPC : GRPC[grpc - 1].name())
        .register(registry);
  }
}
