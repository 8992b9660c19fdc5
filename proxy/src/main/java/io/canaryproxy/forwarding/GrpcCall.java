package io.canaryproxy.forwarding;

import io.canaryproxy.grpc.GrpcCalls;
import io.canaryproxy.grpc.GrpcErrorCodes;
import io.canaryproxy.grpc.GrpcMessage;
import io.canaryproxy.grpc.GrpcStatus;
import io.canaryproxy.grpc.GrpcTimeout;
import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.HeaderNames;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http.RequestHead;
import io.canaryproxy.http.ResponseHead;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gRPC side of one client connection's current exchange, owned by its {@link Forwarder}: tells
 * a gRPC request by its {@code content-type}, keeps the deadline its {@code grpc-timeout} sets (and
 * forwards what is left of it), reads the {@code grpc-status} the call ends with, and writes the
 * proxy's own failures as gRPC answers. Event-loop only; reused across exchanges.
 *
 * <p>The status an exchange records ({@link Exchange#grpcStatus}) is the first of: the backend's
 * {@code grpc-status} (trailers, or the head of a trailers-only response); the status of the
 * proxy's failure ({@link #statusOf}); for a response without one, what a gRPC client makes of it
 * (a non-200 HTTP status mapped as gRPC specifies, a 200 without status UNKNOWN); CANCELLED when
 * the client left before any answer.
 */
final class GrpcCall {
  private static final String ERROR_HEADER = "x-canary-proxy-error";

  private final EventLoop loop;
  private boolean active;
  private GrpcStatus status;
  private long deadlineNanos;
  private ScheduledFuture<?> timer;

  GrpcCall(EventLoop loop) {
    this.loop = loop;
  }

  /**
   * Starts the exchange {@code e} of {@code head}: when it is a gRPC request, marks it and, when it
   * carries a well-formed {@code grpc-timeout}, arms {@code onDeadline} to run once the deadline
   * passes. A malformed {@code grpc-timeout} is ignored (and forwarded as sent).
   */
  void begin(RequestHead head, Exchange e, Runnable onDeadline) {
    cancelTimer();
    status = null;
    deadlineNanos = 0;
    active = GrpcCalls.isGrpc(head.headers().get(HeaderNames.CONTENT_TYPE));
    if (!active) {
      return;
    }
    long timeout = GrpcTimeout.parseNanos(head.headers().get(GrpcCalls.TIMEOUT));
    if (timeout >= 0) {
      deadlineNanos = e.startNanos + timeout;
      if (deadlineNanos - e.startNanos < 0) {
        deadlineNanos = Long.MAX_VALUE; // saturated: no deadline worth a timer
        return;
      }
      timer = loop.schedule(onDeadline, timeout, TimeUnit.NANOSECONDS);
    }
  }

  /** True while the current exchange is a gRPC call. */
  boolean active() {
    return active;
  }

  /**
   * Sets the request's {@code grpc-timeout} to what is left of its deadline as it leaves for the
   * backend, so the backend gives up no later than the proxy does (Envoy does the same).
   */
  void beforeSend(RequestHead head) {
    if (active && timer != null) {
      long left = deadlineNanos - System.nanoTime();
      head.headers().set(GrpcCalls.TIMEOUT, GrpcTimeout.format(left));
    }
  }

  /** The backend's final response head: a trailers-only response carries the status here. */
  void onHead(ResponseHead head) {
    if (!active) {
      return;
    }
    GrpcStatus s = GrpcStatus.ofField(head.headers().get(GrpcCalls.STATUS));
    if (s != null) {
      status = s;
    } else if (head.status() != 200) {
      status = GrpcStatus.ofHttpStatus(head.status());
    }
  }

  /** The end of the backend's response body; its trailers carry the status. */
  void onEnd(BodyEnd end) {
    if (!active || end.trailers() == null) {
      return;
    }
    GrpcStatus s = GrpcStatus.ofField(end.trailers().get(GrpcCalls.STATUS));
    if (s != null) {
      status = s;
    }
  }

  /**
   * The proxy's own answer to a gRPC request that {@code failure} ended before any response byte: a
   * trailers-only response, HTTP 200 with {@code grpc-status}, a percent-encoded {@code
   * grpc-message} and the failure's tag in {@code x-canary-proxy-error}; {@code close} adds {@code
   * Connection: close} (HTTP/1: the rest of the request was not read).
   */
  ResponseHead answer(UpstreamFailure failure, boolean close) {
    GrpcStatus s = statusOf(failure);
    status = s;
    FieldList h = new FieldList();
    h.add(HeaderNames.CONTENT_TYPE, GrpcCalls.CONTENT_TYPE);
    h.add(GrpcCalls.STATUS, Integer.toString(s.code()));
    h.add(GrpcCalls.MESSAGE, GrpcMessage.encode("canary-proxy: upstream " + failure.tag()));
    h.add(ERROR_HEADER, failure.tag());
    h.add(HeaderNames.CONTENT_LENGTH, "0");
    if (close) {
      h.add(HeaderNames.CONNECTION, HeaderNames.CLOSE);
    }
    return new Answer(h);
  }

  /**
   * The gRPC status that stands for a failure of the proxy: UNAVAILABLE when the backend could not
   * be reached or went away (the call may be tried again), DEADLINE_EXCEEDED when it took too long,
   * RESOURCE_EXHAUSTED when the proxy's own connection limit was reached, INTERNAL when the backend
   * answered something that is not HTTP.
   */
  static GrpcStatus statusOf(UpstreamFailure failure) {
    return switch (failure) {
      case CONNECT_FAILED, CONNECT_TIMEOUT, NO_ENDPOINTS, CONNECTION_CLOSED, TLS_HANDSHAKE_FAILED ->
          GrpcStatus.UNAVAILABLE;
      case RESPONSE_TIMEOUT, DEADLINE_EXCEEDED -> GrpcStatus.DEADLINE_EXCEEDED;
      case POOL_EXHAUSTED -> GrpcStatus.RESOURCE_EXHAUSTED;
      case BAD_RESPONSE -> GrpcStatus.INTERNAL;
    };
  }

  /** The exchange ended: records its status and whether it counts as an error, and disarms. */
  void finish(Exchange e, GrpcErrorCodes errorCodes) {
    cancelTimer();
    if (!active) {
      return;
    }
    active = false;
    GrpcStatus s = status;
    if (s == null) {
      if (e.failure != null) {
        s = statusOf(e.failure);
      } else if (e.status == 0) {
        s = GrpcStatus.CANCELLED; // the client left before any answer
      } else if (e.status != 200) {
        s = GrpcStatus.ofHttpStatus(e.status);
      } else {
        s = GrpcStatus.UNKNOWN; // a 200 that ended without grpc-status
      }
    }
    status = null;
    e.grpcStatus = s;
    e.grpcError = errorCodes.isError(s);
  }

  void cancelTimer() {
    if (timer != null) {
      timer.cancel(false);
      timer = null;
    }
  }

  /** The head of the proxy's own gRPC answer. */
  private record Answer(Headers headers) implements ResponseHead {
    @Override
    public int status() {
      return 200;
    }

    @Override
    public String reason() {
      return "OK";
    }

    @Override
    public HttpVersion version() {
      return HttpVersion.HTTP_1_1;
    }

    @Override
    public boolean closesConnection() {
      return false;
    }
  }

  /** A small list of fields, for the proxy's own answers. */
  private static final class FieldList implements Headers {
    private final List<Map.Entry<CharSequence, CharSequence>> fields = new ArrayList<>(6);

    @Override
    public String get(CharSequence name) {
      for (Map.Entry<CharSequence, CharSequence> f : fields) {
        if (same(f.getKey(), name)) {
          return f.getValue().toString();
        }
      }
      return null;
    }

    @Override
    public List<String> getAll(CharSequence name) {
      List<String> out = new ArrayList<>(1);
      for (Map.Entry<CharSequence, CharSequence> f : fields) {
        if (same(f.getKey(), name)) {
          out.add(f.getValue().toString());
        }
      }
      return out;
    }

    @Override
    public boolean contains(CharSequence name) {
      return get(name) != null;
    }

    @Override
    public void set(CharSequence name, CharSequence value) {
      remove(name);
      add(name, value);
    }

    @Override
    public void add(CharSequence name, CharSequence value) {
      fields.add(Map.entry(name, value));
    }

    @Override
    public void remove(CharSequence name) {
      fields.removeIf(f -> same(f.getKey(), name));
    }

    @Override
    public int size() {
      return fields.size();
    }

    @Override
    public Iterator<Map.Entry<CharSequence, CharSequence>> iterator() {
      return fields.iterator();
    }

    private static boolean same(CharSequence a, CharSequence b) {
      return a.toString().equalsIgnoreCase(b.toString());
    }
  }
}
