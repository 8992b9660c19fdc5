package io.canaryproxy.config;

import java.time.Duration;
import java.util.List;
import java.util.Set;

/**
 * The {@code mirror} section.
 *
 * @param to backend name of the shadow pool
 * @param percent 0..100, required: there is no implicit 100%
 * @param sampleBy {@code request} (random per request) or {@code user} (sticky, by cohort hash)
 * @param from primary variants that are mirrored, {@code stable} and/or {@code canary}; default
 *     both
 * @param methods methods mirrored; default GET, HEAD, OPTIONS
 * @param maxBodyBytes larger request bodies are not mirrored; default 1 MiB
 * @param maxInFlight most shadow requests in flight per process; default 256
 * @param timeout a shadow request is abandoned after this; default 5s
 * @param hostSuffix appended to the shadow request's Host; default {@code -shadow}, "" turns it off
 * @param compare response comparison settings
 * @param grpc which gRPC calls are mirrored, among the requests the other settings select; default
 *     {@link GrpcMirror#UNARY}
 * @param ejection when copies to the shadow stop being sent after it failed in a row; default
 *     {@link EjectionConfig#DEFAULT}
 */
public record MirrorConfig(
    String to,
    double percent,
    SampleBy sampleBy,
    Set<String> from,
    Set<String> methods,
    long maxBodyBytes,
    int maxInFlight,
    Duration timeout,
    String hostSuffix,
    CompareConfig compare,
    GrpcMirror grpc,
    EjectionConfig ejection) {

  /** The section without {@code ejection}: the default ejection. */
  public MirrorConfig(
      String to,
      double percent,
      SampleBy sampleBy,
      Set<String> from,
      Set<String> methods,
      long maxBodyBytes,
      int maxInFlight,
      Duration timeout,
      String hostSuffix,
      CompareConfig compare,
      GrpcMirror grpc) {
    this(
        to,
        percent,
        sampleBy,
        from,
        methods,
        maxBodyBytes,
        maxInFlight,
        timeout,
        hostSuffix,
        compare,
        grpc,
        EjectionConfig.DEFAULT);
  }

  /** The section without {@code grpc} and {@code ejection}: unary gRPC calls are mirrored. */
  public MirrorConfig(
      String to,
      double percent,
      SampleBy sampleBy,
      Set<String> from,
      Set<String> methods,
      long maxBodyBytes,
      int maxInFlight,
      Duration timeout,
      String hostSuffix,
      CompareConfig compare) {
    this(
        to,
        percent,
        sampleBy,
        from,
        methods,
        maxBodyBytes,
        maxInFlight,
        timeout,
        hostSuffix,
        compare,
        GrpcMirror.UNARY,
        EjectionConfig.DEFAULT);
  }

  /** This section with {@code ejection} in place of its own. */
  public MirrorConfig withEjection(EjectionConfig ejection) {
    return new MirrorConfig(
        to,
        percent,
        sampleBy,
        from,
        methods,
        maxBodyBytes,
        maxInFlight,
        timeout,
        hostSuffix,
        compare,
        grpc,
        ejection);
  }

  /**
   * Outlier ejection of the shadow: after {@code consecutiveFailures} copies in a row ended {@code
   * timeout} or {@code failed}, no copy is sent for {@code baseTime × 2^(ejections so far)}, at
   * most {@code maxTime}. Any answer from the shadow resets both the count and the time.
   *
   * @param consecutiveFailures failed copies in a row that eject the shadow, 0..1000000; 0 turns
   *     ejection off; default 5
   * @param baseTime the first ejection's length, &gt; 0; default 10s
   * @param maxTime the longest ejection, at least {@code baseTime}; default 5m
   */
  public record EjectionConfig(int consecutiveFailures, Duration baseTime, Duration maxTime) {
    /** 5 failures in a row, 10s, at most 5m. */
    public static final EjectionConfig DEFAULT =
        new EjectionConfig(5, Duration.ofSeconds(10), Duration.ofMinutes(5));

    /** Never ejects. */
    public static final EjectionConfig OFF =
        new EjectionConfig(0, Duration.ofSeconds(10), Duration.ofMinutes(5));
  }

  /**
   * Which gRPC calls ({@code content-type: application/grpc}) are mirrored. A call's kind cannot be
   * told from its request head, so the copy to the shadow is held until the request ends.
   */
  public enum GrpcMirror {
    /**
     * only calls whose request body ended holding exactly one length-prefixed message (unary and
     * server-streaming calls); a client- or bidi-streaming call is dropped unsent
     */
    UNARY,
    /** every gRPC call, streamed to the shadow like any request */
    ALL,
    /** no gRPC call */
    NONE
  }

  public enum SampleBy {
    REQUEST,
    USER
  }

  /**
   * @param enabled compare shadow responses with primary ones; default true
   * @param headers response headers compared (lower case); default {@code content-type}
   * @param maxBodyBytes bodies larger than this are not compared; default 256 KiB
   * @param json compare bodies as JSON when both are JSON; default false
   * @param ignoreFields JSON paths such as {@code $.timestamp} left out of the comparison
   * @param stableBaseline also send the sample to the stable pool to measure noise; default false
   */
  public record CompareConfig(
      boolean enabled,
      List<String> headers,
      long maxBodyBytes,
      boolean json,
      List<String> ignoreFields,
      boolean stableBaseline) {}
}
