package io.canaryproxy.forwarding;

import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.routing.RoutingResult;
import io.canaryproxy.routing.Variant;

/**
 * What is known about one proxied request once it completes: handed to every {@link ProxyListener}.
 * Times are {@link System#nanoTime()} readings; a reading of 0 means the stage was never reached.
 *
 * <p>A client connection reuses one exchange for its requests, one after the other ({@link
 * #reset}): whoever keeps anything of it past {@link ProxyListener#onExchangeComplete} copies it
 * ({@link #snapshot}).
 */
public final class Exchange {
  /** Where the request went; owned by this exchange. */
  public final RoutingResult route = new RoutingResult();

  public String method;

  /** The request, until the exchange ends; read for {@link #path} only. */
  private RequestHead request;

  /** The path, once made (or set). */
  private String path;

  /** How many times the object was reset: tells the exchange it serves from those it served. */
  private long generation;

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

  /**
   * Path without the query string, made from the request when first asked (most exchanges never
   * are). Never use it as a metric label.
   */
  public String path() {
    if (path == null && request != null) {
      path = request.path();
    }
    return path;
  }

  /** Sets the path, overriding the request's. */
  public void path(String p) {
    path = p;
  }

  /**
   * Starts the exchange of {@code head}: its method and (lazily) its path; the head must stay valid
   * until the exchange ends.
   */
  void request(RequestHead head) {
    request = head;
    method = head.method();
    path = null;
  }

  /**
   * Clears every field (and forgets the request, whose head is recycled once the exchange ended)
   * for the connection's next request.
   */
  void reset() {
    generation++;
    route.clear();
    method = null;
    request = null;
    path = null;
    status = 0;
    bytesIn = 0;
    bytesOut = 0;
    startNanos = 0;
    upstreamSentNanos = 0;
    upstreamHeadersNanos = 0;
    endNanos = 0;
    failure = null;
    mirrored = false;
    revision = null;
    grpcStatus = null;
    grpcError = false;
  }

  /** The generation of the exchange this object serves now (see {@link #isCurrent}). */
  long generation() {
    return generation;
  }

  /**
   * True when {@code current} (the exchange in progress, or {@code null}) is still the one this
   * object served in generation {@code g}: the connection reuses the object for its next exchange,
   * so identity alone does not tell an ended exchange from the next one.
   */
  boolean isCurrent(Exchange current, long g) {
    return current == this && generation == g;
  }

  /** A copy of this exchange as it is now, for a listener that keeps it past the call. */
  public Exchange snapshot() {
    Exchange c = new Exchange();
    route.copyTo(c.route);
    c.method = method;
    c.path = path();
    c.status = status;
    c.bytesIn = bytesIn;
    c.bytesOut = bytesOut;
    c.startNanos = startNanos;
    c.upstreamSentNanos = upstreamSentNanos;
    c.upstreamHeadersNanos = upstreamHeadersNanos;
    c.endNanos = endNanos;
    c.failure = failure;
    c.mirrored = mirrored;
    c.revision = revision;
    c.grpcStatus = grpcStatus;
    c.grpcError = grpcError;
    return c;
  }

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
