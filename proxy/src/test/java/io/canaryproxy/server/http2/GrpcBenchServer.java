package io.canaryproxy.server.http2;

/**
 * The gRPC server of {@code bench/grpc_unary.sh}: a {@link GrpcBackend} (grpc-java, h2c) on
 * 127.0.0.1, whose endpoint is printed on the first line of standard output; it serves until
 * standard input closes. Not a test: a bench helper kept beside the server it starts.
 */
final class GrpcBenchServer {
  private GrpcBenchServer() {}

  public static void main(String[] args) throws Exception {
    try (GrpcBackend server = GrpcBackend.start("bench")) {
      System.out.println(server.endpoint());
      System.out.flush();
      while (System.in.read() >= 0) {
        // serve until stdin closes
      }
    }
  }
}
