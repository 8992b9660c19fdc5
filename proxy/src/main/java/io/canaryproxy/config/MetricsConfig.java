package io.canaryproxy.config;

import io.canaryproxy.grpc.GrpcErrorCodes;
import java.time.Duration;

/**
 * The {@code metrics} section: latency histogram settings.
 *
 * @param lowestMicros lowest discernible latency in microseconds; default 1
 * @param highestMicros highest trackable latency in microseconds; default 60,000,000 (60 s)
 * @param significantDigits 1..5; default 3
 * @param interval length of one histogram interval; default 10s
 * @param window intervals kept for the admin API; default 30
 * @param grpcErrorCodes {@code grpc.errorCodes}: the gRPC status codes that count as an error of
 *     their variant; default {@link GrpcErrorCodes#DEFAULT}
 * @param jvmMeters export the JVM's memory, GC, thread and class-loading meters ({@code
 *     canary_proxy_jvm_*}); default true. Off, the JVM's management beans are never touched: about
 *     1.3 MiB less RSS and 150 classes fewer (README, "Sizing"); Netty's allocator meters stay
 */
public record MetricsConfig(
    long lowestMicros,
    long highestMicros,
    int significantDigits,
    Duration interval,
    int window,
    GrpcErrorCodes grpcErrorCodes,
    boolean jvmMeters) {

  /** The histogram settings, with the default {@link #grpcErrorCodes} and the JVM meters on. */
  public MetricsConfig(
      long lowestMicros, long highestMicros, int significantDigits, Duration interval, int window) {
    this(
        lowestMicros,
        highestMicros,
        significantDigits,
        interval,
        window,
        GrpcErrorCodes.DEFAULT,
        true);
  }

  /** The histogram settings and {@code grpcErrorCodes}, with the JVM meters on. */
  public MetricsConfig(
      long lowestMicros,
      long highestMicros,
      int significantDigits,
      Duration interval,
      int window,
      GrpcErrorCodes grpcErrorCodes) {
    this(lowestMicros, highestMicros, significantDigits, interval, window, grpcErrorCodes, true);
  }

  /** The histogram settings and {@code jvmMeters}, with the default {@link #grpcErrorCodes}. */
  public MetricsConfig(
      long lowestMicros,
      long highestMicros,
      int significantDigits,
      Duration interval,
      int window,
      boolean jvmMeters) {
    this(
        lowestMicros,
        highestMicros,
        significantDigits,
        interval,
        window,
        GrpcErrorCodes.DEFAULT,
        jvmMeters);
  }
}
