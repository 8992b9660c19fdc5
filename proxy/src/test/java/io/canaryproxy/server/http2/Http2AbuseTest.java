package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.Http2Error;
import org.junit.jupiter.api.Test;

/**
 * Which GOAWAYs count in {@code canary_proxy_http2_goaways_total}, and under which {@code type}.
 * The abuses themselves are driven over real sockets in {@link Http2AbuseIT}; this pins the cases
 * that must not count, which a socket test cannot bring about on demand.
 */
class Http2AbuseTest {

  @Test
  void aClientThatHungUpWhileTheProxyWroteIsNotCountedAsAProtocolError() {
    // What Netty's codec sends (and reports to onGoAwaySent) when a write to the client fails.
    assertThat(
            Http2Abuse.classify(
                Http2Error.INTERNAL_ERROR.code(), "writevAddresses(..) failed: Broken pipe"))
        .isNull();
    assertThat(
            Http2Abuse.classify(
                Http2Error.INTERNAL_ERROR.code(),
                "writeAddress(..) failed: Connection reset by peer"))
        .isNull();
  }

  @Test
  void aGracefulGoAwayIsNotCounted() {
    assertThat(Http2Abuse.classify(Http2Error.NO_ERROR.code(), "")).isNull();
  }

  @Test
  void protocolViolationsStillCount() {
    assertThat(Http2Abuse.classify(Http2Error.PROTOCOL_ERROR.code(), "Stream 2 does not exist"))
        .isEqualTo(Http2Abuse.PROTOCOL_ERROR);
    assertThat(Http2Abuse.classify(Http2Error.FRAME_SIZE_ERROR.code(), "Frame length too big"))
        .isEqualTo(Http2Abuse.PROTOCOL_ERROR);
    assertThat(
            Http2Abuse.classify(
                Http2Error.ENHANCE_YOUR_CALM.code(), "Maximum number 200 of RST frames reached"))
        .isEqualTo(Http2Abuse.RAPID_RESET);
    assertThat(Http2Abuse.classify(Http2Error.FLOW_CONTROL_ERROR.code(), "Window size overflow"))
        .isEqualTo(Http2Abuse.FLOW_CONTROL);
  }
}
