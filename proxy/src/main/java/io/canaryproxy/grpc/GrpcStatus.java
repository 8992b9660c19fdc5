package io.canaryproxy.grpc;

import java.util.Locale;

/**
 * The 17 status codes of gRPC, in code order (the ordinal is the code), as carried by {@code
 * grpc-status}. Their names are the metric label values of {@code grpc_status}.
 */
public enum GrpcStatus {
  OK,
  CANCELLED,
  UNKNOWN,
  INVALID_ARGUMENT,
  DEADLINE_EXCEEDED,
  NOT_FOUND,
  ALREADY_EXISTS,
  PERMISSION_DENIED,
  RESOURCE_EXHAUSTED,
  FAILED_PRECONDITION,
  ABORTED,
  OUT_OF_RANGE,
  UNIMPLEMENTED,
  INTERNAL,
  UNAVAILABLE,
  DATA_LOSS,
  UNAUTHENTICATED;

  private static final GrpcStatus[] BY_CODE = values();

  /** The numeric code, 0..16. */
  public int code() {
    return ordinal();
  }

  /** The status of {@code code}, or {@code null} when it is not 0..16. */
  public static GrpcStatus ofCode(int code) {
    return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
  }

  /**
   * The status a {@code grpc-status} field value stands for: its code, or {@link #UNKNOWN} for a
   * value that is not a code of 0..16 (what gRPC clients report for one), or {@code null} when the
   * field is absent.
   */
  public static GrpcStatus ofField(CharSequence value) {
    if (value == null) {
      return null;
    }
    int n = value.length();
    if (n == 0 || n > 2) {
      return UNKNOWN;
    }
    int code = 0;
    for (int i = 0; i < n; i++) {
      char c = value.charAt(i);
      if (c < '0' || c > '9') {
        return UNKNOWN;
      }
      code = code * 10 + (c - '0');
    }
    GrpcStatus s = ofCode(code);
    return s == null ? UNKNOWN : s;
  }

  /**
   * A status written in configuration: its name in any case ({@code unavailable}, {@code
   * UNAVAILABLE}) or its number ({@code 14}); {@code null} when it is neither.
   */
  public static GrpcStatus parse(String text) {
    if (text == null) {
      return null;
    }
    String t = text.trim();
    if (!t.isEmpty() && t.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return t.length() > 2 ? null : ofCode(Integer.parseInt(t));
    }
    try {
      return valueOf(t.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * The status a gRPC client reports for a response that carries no {@code grpc-status} but an HTTP
   * status other than 200 (gRPC's "HTTP to gRPC status code mapping"): 400 INTERNAL, 401
   * UNAUTHENTICATED, 403 PERMISSION_DENIED, 404 UNIMPLEMENTED, 429/502/503/504 UNAVAILABLE, any
   * other UNKNOWN.
   */
  public static GrpcStatus ofHttpStatus(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> INTERNAL;
      case 401 -> UNAUTHENTICATED;
      case 403 -> PERMISSION_DENIED;
      case 404 -> UNIMPLEMENTED;
      case 429, 502, 503, 504 -> UNAVAILABLE;
      default -> UNKNOWN;
    };
  }
}
