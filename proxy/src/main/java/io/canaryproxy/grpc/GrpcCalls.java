package io.canaryproxy.grpc;

/**
 * Which messages are gRPC: a {@code content-type} of {@code application/grpc}, alone or followed by
 * {@code +format} or {@code ;parameters} (gRPC over HTTP/2, "Content-Type"). gRPC-Web ({@code
 * application/grpc-web}) is a different protocol, whose trailers travel in the body: not gRPC here.
 */
public final class GrpcCalls {
  private static final String TYPE = "application/grpc";

  /** The {@code content-type} of the proxy's own gRPC answers. */
  public static final String CONTENT_TYPE = TYPE;

  /** Header and trailer names. */
  public static final String STATUS = "grpc-status";

  public static final String MESSAGE = "grpc-message";
  public static final String TIMEOUT = "grpc-timeout";

  /** The length of a message's prefix: a compressed flag byte and a 4-byte big-endian length. */
  public static final int PREFIX_BYTES = 5;

  private GrpcCalls() {}

  /** True when {@code contentType} (may be {@code null}) is a gRPC one. */
  public static boolean isGrpc(CharSequence contentType) {
    if (contentType == null || contentType.length() < TYPE.length()) {
      return false;
    }
    for (int i = 0; i < TYPE.length(); i++) {
      if (Character.toLowerCase(contentType.charAt(i)) != TYPE.charAt(i)) {
        return false;
      }
    }
    if (contentType.length() == TYPE.length()) {
      return true;
    }
    char next = contentType.charAt(TYPE.length());
    return next == '+' || next == ';' || next == ' ';
  }
}
