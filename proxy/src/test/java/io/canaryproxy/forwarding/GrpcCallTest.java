package io.canaryproxy.forwarding;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.grpc.GrpcStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** Which gRPC status stands for each of the proxy's own failures, and what its answer holds. */
class GrpcCallTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "CONNECT_FAILED, UNAVAILABLE",
    "CONNECT_TIMEOUT, UNAVAILABLE",
    "NO_ENDPOINTS, UNAVAILABLE",
    "CONNECTION_CLOSED, UNAVAILABLE",
    "TLS_HANDSHAKE_FAILED, UNAVAILABLE",
    "RESPONSE_TIMEOUT, DEADLINE_EXCEEDED",
    "DEADLINE_EXCEEDED, DEADLINE_EXCEEDED",
    "POOL_EXHAUSTED, RESOURCE_EXHAUSTED",
    "BAD_RESPONSE, INTERNAL"
  })
  void eachFailureHasItsStatus(UpstreamFailure failure, GrpcStatus status) {
    assertThat(GrpcCall.statusOf(failure)).isEqualTo(status);
  }

  @ParameterizedTest
  @EnumSource(UpstreamFailure.class)
  void theAnswerIsTrailersOnlyWithTheStatusTheMessageAndTheFailureTag(UpstreamFailure failure) {
    GrpcCall call = new GrpcCall(null);

    io.canaryproxy.http.ResponseHead head = call.answer(failure, false);

    assertThat(head.status()).isEqualTo(200);
    assertThat(head.headers().get("content-type")).isEqualTo("application/grpc");
    assertThat(head.headers().get("grpc-status"))
        .isEqualTo(Integer.toString(GrpcCall.statusOf(failure).code()));
    assertThat(head.headers().get("grpc-message"))
        .isEqualTo("canary-proxy: upstream " + failure.tag());
    assertThat(head.headers().get("x-canary-proxy-error")).isEqualTo(failure.tag());
    assertThat(head.headers().get("content-length")).isEqualTo("0");
    assertThat(head.headers().contains("connection")).isFalse();
    assertThat(call.answer(failure, true).headers().get("connection")).isEqualTo("close");
  }
}
