package io.canaryproxy.server.http2;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * The gRPC server of {@code bench/grpc_unary.sh}: a {@link GrpcBackend} (grpc-java, h2c) on
 * 127.0.0.1, whose endpoint is printed on the first line of standard output; for each line read
 * from standard input it prints the number of calls it received so far, and it serves until
 * standard input closes. Not a test: a bench helper kept beside the server it starts.
 */
final class GrpcBenchServer {
  private GrpcBenchServer() {}

  public static void main(String[] args) throws Exception {
    try (GrpcBackend server = GrpcBackend.start("bench")) {
      System.out.println(server.endpoint());
      System.out.flush();
      BufferedReader in =
          new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      while (in.readLine() != null) {
        System.out.println(server.calls.get());
        System.out.flush();
      }
    }
  }
}
