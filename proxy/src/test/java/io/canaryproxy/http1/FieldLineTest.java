package io.canaryproxy.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The one-pass scan of a field line ({@link FieldLine}) says what the separate passes it replaced
 * say: {@link FieldLines#findLineEnd}, then {@link FieldLines#split}, {@link
 * FieldLines#isValidName} and {@link FieldLines#isValidValue}. The oracle is those passes, on lines
 * drawn from the bytes that decide them.
 */
class FieldLineTest {
  /** Bytes that change an outcome: delimiters, each whitespace class, controls, DEL, 8-bit. */
  private static final byte[] ALPHABET = {
    'a',
    'Z',
    '0',
    '-',
    '!',
    '~',
    ':',
    ' ',
    '\t',
    '\r',
    '\n',
    0x0b,
    0x0c,
    0x1c,
    0x1f,
    0x00,
    0x01,
    0x7f,
    (byte) 0x80,
    (byte) 0x85,
    (byte) 0xff,
    '"',
    '(',
    ',',
    '@'
  };

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "Host: a\\r\\n|valid",
        "X-A:\\t v \\t\\r\\n|valid",
        "X-B:\\r\\n|valid",
        "X-C:\\u000bv\\r\\n|split fails",
        "X-D: \\u0001v\\r\\n|bad value",
        "X A: v\\r\\n|bad name",
        ": v\\r\\n|bad name",
        "no colon\\r\\n|split fails",
        "X-E: v\\n|bare LF",
        "X-F: v|incomplete"
      })
  void tellsWhatTheSeparateChecksTell(String escaped, String verdict) {
    byte[] line = unescape(escaped).getBytes(StandardCharsets.ISO_8859_1);
    Outcome expected = separately(line, 0, line.length, 100);
    assertThat(expected.verdict()).isEqualTo(verdict);
    assertThat(inOnePass(line, 0, line.length, 100)).isEqualTo(expected);
  }

  @Test
  void randomLinesGetTheSameAnswerFromBoth() {
    Random random = new Random(0x5ca9L);
    for (int n = 0; n < 200_000; n++) {
      int len = random.nextInt(24);
      byte[] line = new byte[len + 2];
      for (int i = 0; i < len; i++) {
        line[i] = ALPHABET[random.nextInt(ALPHABET.length)];
      }
      // Most lines end as a field line does; some stop short, some end in a bare LF.
      int ending = random.nextInt(8);
      line[len] = ending == 0 ? (byte) 'x' : (byte) '\r';
      line[len + 1] = ending == 1 ? (byte) 'y' : (byte) '\n';
      int start = random.nextInt(2) == 0 ? 0 : Math.min(len, random.nextInt(3));
      int limit = start + random.nextInt(line.length - start + 1);
      long allowance = random.nextInt(4) == 0 ? random.nextInt(len + 3) : 100;
      assertThat(inOnePass(line, start, limit, allowance))
          .as("line %s from %d to %d, allowance %d", hex(line), start, limit, allowance)
          .isEqualTo(separately(line, start, limit, allowance));
    }
  }

  /** What a parser learns of a line: its end (or why not), then, if complete, its parts. */
  record Outcome(int lf, boolean splits, int colon, int vs, int ve, boolean name, boolean value) {
    String verdict() {
      if (lf == FieldLines.INCOMPLETE) {
        return "incomplete";
      } else if (lf == FieldLines.BARE_LF) {
        return "bare LF";
      } else if (lf < 0) {
        return "too long";
      }
      return !splits ? "split fails" : !name ? "bad name" : !value ? "bad value" : "valid";
    }
  }

  private static Outcome separately(byte[] bytes, int start, int limit, long allowance) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    int lf = FieldLines.findLineEnd(buf, start, limit, allowance);
    if (lf < 0) {
      return new Outcome(lf, false, 0, 0, 0, false, false);
    }
    int[] split = new int[3];
    if (!FieldLines.split(buf, start, lf - 1, split)) {
      return new Outcome(lf, false, 0, 0, 0, false, false);
    }
    return new Outcome(
        lf,
        true,
        split[0],
        split[1],
        split[2],
        FieldLines.isValidName(buf, start, split[0]),
        FieldLines.isValidValue(buf, split[1], split[2]));
  }

  private static Outcome inOnePass(byte[] bytes, int start, int limit, long allowance) {
    ByteBuf buf = Unpooled.wrappedBuffer(bytes);
    FieldLine line = new FieldLine();
    int lf = line.scan(buf, start, limit, allowance);
    if (lf < 0 || line.splitFails) {
      return new Outcome(lf, false, 0, 0, 0, false, false);
    }
    return new Outcome(
        lf, true, line.colon, line.valueStart, line.valueEnd, line.nameValid, line.valueValid);
  }

  private static String unescape(String s) {
    return s.replace("\\r", "\r")
        .replace("\\n", "\n")
        .replace("\\t", "\t")
        .replace("\\u000b", "\u000b")
        .replace("\\u0001", "\u0001");
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      s.append(String.format("%02x", x & 0xff));
    }
    return s.toString();
  }
}
