package io.canaryproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.LimitsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The streaming chunked-body validator: framing, limits, and where the body ends. */
class ChunkedBodyValidatorTest {
  private static final LimitsConfig LIMITS = new LimitsConfig(64, 256, 5, 10);

  /** Feeds {@code body} cut at {@code cut}; returns the bytes consumed in total. */
  private static int feed(ChunkedBodyValidator v, String body, int cut) {
    ByteBuf b = Unpooled.copiedBuffer(body.substring(0, cut), StandardCharsets.ISO_8859_1);
    try {
      int used = v.feed(b);
      b.skipBytes(used);
      if (v.state() != ChunkedBodyValidator.State.INCOMPLETE) {
        return used;
      }
      b.writeBytes(body.substring(cut).getBytes(StandardCharsets.ISO_8859_1));
      return used + v.feed(b);
    } finally {
      b.release();
    }
  }

  @Test
  void readsABodyCutAnywhereAndStopsWhereItEnds() {
    String body = "5;ext=\"a b\"\r\nhello\r\n1\r\n!\r\n0\r\nX-T: 1\r\n\r\n";
    String next = "GET / HTTP/1.1\r\n";
    for (int cut = 0; cut <= body.length(); cut++) {
      ChunkedBodyValidator v = new ChunkedBodyValidator(LIMITS);
      v.start(20);
      int used = feed(v, body + next, cut);
      assertThat(v.state()).as("cut at %d", cut).isEqualTo(ChunkedBodyValidator.State.DONE);
      assertThat(v.dataBytes()).isEqualTo(6);
      assertThat(used).as("the next request is left alone").isEqualTo(body.length());
    }
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400),
        Arguments.of("negative size", "-1\r\na\r\n0\r\n\r\n", 400),
        Arguments.of("size overflow", "ffffffffff\r\na\r\n0\r\n\r\n", 400),
        Arguments.of("chunk longer than its size", "3\r\nabcdef\r\n0\r\n\r\n", 400),
        Arguments.of("space after size", "3 \r\nabc\r\n0\r\n\r\n", 400),
        Arguments.of("bare LF", "3\nabc\n0\n\n", 400),
        Arguments.of("unterminated quoted extension", "3;a=\"x\r\nabc\r\n0\r\n\r\n", 400),
        Arguments.of("control byte in a trailer", "1\r\na\r\n0\r\nX: a\u0001\r\n\r\n", 400),
        Arguments.of(
            "trailer over the header allowance",
            "1\r\na\r\n0\r\nX: " + "t".repeat(240) + "\r\n\r\n",
            400),
        Arguments.of(
            "size line over the line limit", "1" + ";x".repeat(40) + "\r\na\r\n0\r\n\r\n", 400),
        Arguments.of("data over maxBodyBytes", "b\r\nhello world\r\n0\r\n\r\n", 413));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refused")
  void refusesWithTheStatusOfTodaysPath(String name, String body, int status) {
    ChunkedBodyValidator v = new ChunkedBodyValidator(LIMITS);
    v.start(20);
    feed(v, body, body.length());
    assertThat(v.state()).isEqualTo(ChunkedBodyValidator.State.REJECTED);
    assertThat(v.rejection().status()).isEqualTo(status);
  }

  @Test
  void aTrailerWithoutColonIsRefusedButContentLengthTrailersAreNotChecked() {
    ChunkedBodyValidator v = new ChunkedBodyValidator(LIMITS);
    v.start(0);
    feed(v, "0\r\nContent-Length: \u0001\r\n\r\n", 5);
    assertThat(v.state()).isEqualTo(ChunkedBodyValidator.State.DONE);
    v.start(0);
    feed(v, "0\r\nno colon\r\n\r\n", 5);
    assertThat(v.state()).isEqualTo(ChunkedBodyValidator.State.REJECTED);
  }
}
