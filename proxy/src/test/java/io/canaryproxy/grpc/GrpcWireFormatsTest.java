package io.canaryproxy.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The gRPC wire values the proxy reads and writes: timeouts, statuses, messages, content types. */
class GrpcWireFormatsTest {
  @ParameterizedTest(name = "{0} = {1} ns")
  @CsvSource({
    "1n, 1",
    "100m, 100000000",
    "5S, 5000000000",
    "2M, 120000000000",
    "1H, 3600000000000",
    "250u, 250000",
    "0m, 0",
    "99999999n, 99999999",
    "99999999H, 9223372036854775807"
  })
  void parsesEveryUnitAndSaturates(String value, long nanos) {
    assertThat(GrpcTimeout.parseNanos(value)).isEqualTo(nanos);
  }

  @ParameterizedTest(name = "\"{0}\" is malformed")
  @ValueSource(strings = {"", "m", "100", "100x", "1.5S", "-1S", "+1S", "1 S", "123456789n", "1s"})
  void malformedTimeoutsAreIgnored(String value) {
    assertThat(GrpcTimeout.parseNanos(value)).isEqualTo(-1);
  }

  @Test
  void anAbsentTimeoutIsIgnored() {
    assertThat(GrpcTimeout.parseNanos(null)).isEqualTo(-1);
  }

  @ParameterizedTest(name = "{0} ns -> {1}")
  @CsvSource({
    "0, 0n",
    "-5, 0n",
    "99999999, 99999999n",
    "100000000, 100000u",
    "1999999999, 1999999u",
    "123456789000, 123456m",
    "100000000000000, 100000S",
    "3600000000000, 3600000m",
    "9223372036854775807, 2562047H"
  })
  void formatsInTheFinestUnitThatFitsRoundingDown(long nanos, String value) {
    String formatted = GrpcTimeout.format(nanos);
    assertThat(formatted).isEqualTo(value);
    assertThat(GrpcTimeout.parseNanos(formatted)).isLessThanOrEqualTo(Math.max(0, nanos));
  }

  @Test
  void aFormattedTimeoutLosesLessThanOneUnitOfItsOwn() {
    long nanos = TimeUnit.MILLISECONDS.toNanos(1234) + 567;
    long back = GrpcTimeout.parseNanos(GrpcTimeout.format(nanos));
    assertThat(nanos - back).isBetween(0L, 999L);
  }

  @ParameterizedTest(name = "grpc-status \"{0}\" -> {1}")
  @CsvSource({
    "0, OK",
    "4, DEADLINE_EXCEEDED",
    "14, UNAVAILABLE",
    "16, UNAUTHENTICATED",
    "17, UNKNOWN",
    "99, UNKNOWN",
    "014, UNKNOWN",
    "abc, UNKNOWN",
    "-1, UNKNOWN",
    "'', UNKNOWN"
  })
  void statusFieldsAreReadAsGrpcClientsReadThem(String value, GrpcStatus expected) {
    assertThat(GrpcStatus.ofField(value)).isEqualTo(expected);
  }

  @Test
  void anAbsentStatusFieldIsNoStatus() {
    assertThat(GrpcStatus.ofField(null)).isNull();
  }

  @ParameterizedTest(name = "config \"{0}\" -> {1}")
  @CsvSource({
    "UNAVAILABLE, UNAVAILABLE",
    "unavailable, UNAVAILABLE",
    "14, UNAVAILABLE",
    "0, OK",
    " data_loss , DATA_LOSS"
  })
  void configNamesAndNumbersAreAccepted(String text, GrpcStatus expected) {
    assertThat(GrpcStatus.parse(text)).isEqualTo(expected);
  }

  @ParameterizedTest(name = "config \"{0}\" is refused")
  @ValueSource(strings = {"17", "100", "-1", "UNAVAILABLEX", "", "1.0"})
  void unknownConfigNamesAreRefused(String text) {
    assertThat(GrpcStatus.parse(text)).isNull();
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}")
  @CsvSource({
    "400, INTERNAL",
    "401, UNAUTHENTICATED",
    "403, PERMISSION_DENIED",
    "404, UNIMPLEMENTED",
    "429, UNAVAILABLE",
    "502, UNAVAILABLE",
    "503, UNAVAILABLE",
    "504, UNAVAILABLE",
    "500, UNKNOWN",
    "302, UNKNOWN"
  })
  void httpStatusesMapAsGrpcSpecifies(int http, GrpcStatus expected) {
    assertThat(GrpcStatus.ofHttpStatus(http)).isEqualTo(expected);
  }

  @Test
  void theDefaultErrorCodesAreTheServersFaults() {
    assertThat(GrpcErrorCodes.DEFAULT.codes())
        .containsExactly(
            GrpcStatus.CANCELLED,
            GrpcStatus.UNKNOWN,
            GrpcStatus.DEADLINE_EXCEEDED,
            GrpcStatus.RESOURCE_EXHAUSTED,
            GrpcStatus.ABORTED,
            GrpcStatus.UNIMPLEMENTED,
            GrpcStatus.INTERNAL,
            GrpcStatus.UNAVAILABLE,
            GrpcStatus.DATA_LOSS);
    assertThat(GrpcErrorCodes.DEFAULT.isError(null)).isFalse();
    GrpcErrorCodes only = GrpcErrorCodes.of(List.of(GrpcStatus.NOT_FOUND));
    assertThat(only.isError(GrpcStatus.NOT_FOUND)).isTrue();
    assertThat(only.isError(GrpcStatus.UNAVAILABLE)).isFalse();
  }

  @ParameterizedTest(name = "\"{0}\" <-> \"{1}\"")
  @CsvSource({
    "plain text, plain text",
    "100%, 100%25",
    "caf\u00e9, caf%C3%A9",
    "\u2603 snow, %E2%98%83 snow",
    "'', ''"
  })
  void messagesArePercentEncodedAsUtf8(String text, String encoded) {
    assertThat(GrpcMessage.encode(text)).isEqualTo(encoded);
    assertThat(GrpcMessage.decode(encoded)).isEqualTo(text);
  }

  @Test
  void controlCharactersArePercentEncoded() {
    assertThat(GrpcMessage.encode("line\nbreak\ttab")).isEqualTo("line%0Abreak%09tab");
    assertThat(GrpcMessage.decode("line%0Abreak%09tab")).isEqualTo("line\nbreak\ttab");
  }

  @Test
  void aStrayPercentIsKeptWhenDecoding() {
    assertThat(GrpcMessage.decode("50% off %zz %4")).isEqualTo("50% off %zz %4");
  }

  @ParameterizedTest(name = "\"{0}\" is gRPC: {1}")
  @CsvSource({
    "application/grpc, true",
    "application/grpc+proto, true",
    "application/grpc+json, true",
    "application/grpc;charset=utf-8, true",
    "Application/GRPC, true",
    "application/grpc-web, false",
    "application/grpc-web+proto, false",
    "application/json, false",
    "application/grp, false",
    "'', false"
  })
  void grpcContentTypes(String type, boolean grpc) {
    assertThat(GrpcCalls.isGrpc(type)).isEqualTo(grpc);
  }
}
