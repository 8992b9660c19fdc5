package io.canaryproxy.grpc;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Which gRPC status codes count as an error of their variant, as a bit set (bit {@code code}), so
 * the check on the request path is one shift. Immutable; thread-safe.
 */
public final class GrpcErrorCodes {
  /**
   * The codes that are the caller's doing rather than the server's, and so do not count by default:
   * OK, NOT_FOUND, INVALID_ARGUMENT, ALREADY_EXISTS, PERMISSION_DENIED, UNAUTHENTICATED,
   * FAILED_PRECONDITION, OUT_OF_RANGE.
   */
  private static final Set<GrpcStatus> NOT_ERRORS_BY_DEFAULT =
      EnumSet.of(
          GrpcStatus.OK,
          GrpcStatus.NOT_FOUND,
          GrpcStatus.INVALID_ARGUMENT,
          GrpcStatus.ALREADY_EXISTS,
          GrpcStatus.PERMISSION_DENIED,
          GrpcStatus.UNAUTHENTICATED,
          GrpcStatus.FAILED_PRECONDITION,
          GrpcStatus.OUT_OF_RANGE);

  /**
   * The default: CANCELLED, UNKNOWN, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, UNIMPLEMENTED,
   * INTERNAL, UNAVAILABLE, DATA_LOSS.
   */
  public static final GrpcErrorCodes DEFAULT =
      new GrpcErrorCodes(EnumSet.complementOf(EnumSet.copyOf(NOT_ERRORS_BY_DEFAULT)));

  private final int mask;

  private GrpcErrorCodes(Collection<GrpcStatus> codes) {
    int m = 0;
    for (GrpcStatus s : codes) {
      m |= 1 << s.code();
    }
    this.mask = m;
  }

  /** Exactly {@code codes} count as errors (none when empty). */
  public static GrpcErrorCodes of(Collection<GrpcStatus> codes) {
    return new GrpcErrorCodes(codes);
  }

  /** True when {@code status} counts as an error; {@code null} (not a gRPC call) never does. */
  public boolean isError(GrpcStatus status) {
    return status != null && (mask & (1 << status.code())) != 0;
  }

  /** The codes that count, in code order; how the set is shown in {@code /admin/config}. */
  @JsonValue
  public List<GrpcStatus> codes() {
    List<GrpcStatus> out = new ArrayList<>();
    for (GrpcStatus s : GrpcStatus.values()) {
      if (isError(s)) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GrpcErrorCodes other && other.mask == mask;
  }

  @Override
  public int hashCode() {
    return mask;
  }

  @Override
  public String toString() {
    return codes().toString();
  }
}
