package io.canaryproxy.forwarding;

import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.routing.RoutingResult;
import io.canaryproxy.routing.Variant;

/**
 * What is known about one proxied request once it completes: handed to every {@link ProxyListener}.
 * Times are {@link System#nanoTime()} readings; a reading of 0 means the stage was never reached.
 */
public final class Exchange {
  /** Where the request went; owned by this exchange. */
  public final RoutingResult route = new RoutingResult();

  public String method;

  /** Path without the query string. Never use it as a metric label. */
  public String path;

  /** Status sent to the client, or 0 when none was sent. */
  public int status;

  /** Request body bytes received from the client. */
  public long bytesIn;

  /** Response body bytes written to the client. */
  public long bytesOut;

  /** The first request byte arrived (approximately: when the request head was decoded). */
  public long startNanos;

  /** The request head was written to the backend. */
  public long upstreamSentNanos;

  /** The response head arrived from the backend. */
  public long upstreamHeadersNanos;

  /** The last response byte was written to the client. */
  public long endNanos;

  /** Set when the backend failed the request. */
  public UpstreamFailure failure;

  /** True when a copy went to the shadow. */
  public boolean mirrored;

  /**
   * The backend response's value of the header set by {@link ForwardingContext#setRevisionHeader},
   * or {@code null} (none set, or absent on the response).
   */
  public String revision;

  /**
   * For a gRPC request ({@code content-type: application/grpc}), the status its call ended with:
   * the backend's {@code grpc-status} (in the trailers, or in the head of a trailers-only
   * response), the proxy's own answer, or what a gRPC client makes of what it got (see {@code
   * GrpcCall}); {@code null} for any other request.
   */
  public GrpcStatus grpcStatus;

  /** True when {@link #grpcStatus} is one of the codes configured to count as errors. */
  public boolean grpcError;

  /** The variant label for metrics: where the request was routed. */
  public Variant variant() {
    return route.variant;
  }

  /** Total latency in nanoseconds, or -1 when the exchange did not complete. */
  public long totalNanos() {
    return endNanos == 0 ? -1 : endNanos - startNanos;
  }

  /** Upstream latency (request sent to response head) in nanoseconds, or -1 when not reached. */
  public long upstreamNanos() {
    return upstreamHeadersNanos == 0 || upstreamSentNanos == 0
        ? -1
        : upstreamHeadersNanos - upstreamSentNanos;
  }

  /**
   * True for a 5xx answer, an upstream failure, or a gRPC call that ended with a status counted as
   * an error ({@code metrics.grpc.errorCodes}): what the canary analysis counts as an error.
   */
  public boolean isError() {
    return failure != null || status >= 500 || grpcError;
  }
}
