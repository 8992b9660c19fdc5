/*
 * Differential fuzzing of the lean HTTP/1.1 parser (io.canaryproxy.http1) against today's request
 * path (Netty's decoder + ProxyRequestDecoder + RequestGuardHandler, and ForwardHeaders + Netty's
 * encoder for the forwarded head).
 *
 * `mvn verify` runs mutatedCorpus (a fixed-seed run of mutants of the smuggling, malformed-request
 * and fuzz corpora, each cut into random pieces, under two sets of limits) and fuzzDifferential in
 * Jazzer's regression mode (its seed inputs only). For coverage-guided fuzzing, run for a bounded
 * time:
 *
 *   JAZZER_FUZZ=1 ./mvnw -B -o -pl proxy test -Dtest='Http1ParserDifferentialTest#fuzzDifferential' \
 *       -Djazzer.max_duration=10m -Dspotless.check.skip=true
 *
 * Findings are written under
 * src/test/resources/io/canaryproxy/server/Http1ParserDifferentialTestInputs/ and replayed by every
 * later `mvn verify`.
 */
package io.canaryproxy.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.Exchange1;
import io.canaryproxy.http1.LeanPath;
import io.canaryproxy.testing.SmugglingCorpus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.provider.Arguments;

/**
 * For any client bytes cut into any pieces, the new parser lets through exactly the requests
 * today's path lets through (method, target, version, header fields in order, framing, body
 * length), writes the same forwarded head byte for byte, and refuses the stream where today's path
 * does, with the same status.
 */
class Http1ParserDifferentialTest {
  private static final LimitsConfig DEFAULT_LIMITS =
      new LimitsConfig(8 * 1024, 16 * 1024, 100, 100L * 1024 * 1024);

  /** Small enough that mutants cross every limit. */
  private static final LimitsConfig SMALL_LIMITS = new LimitsConfig(40, 120, 5, 20);

  /** Mutants of the fixed-seed run; {@code -Dh1diff.mutants=N} runs more. */
  private static final int MUTANTS = Integer.getInteger("h1diff.mutants", 3000);

  /** {@code -Dh1diff.seed=N} runs other mutants. */
  private static final long SEED = Long.getLong("h1diff.seed", 0x1e4dL);

  private static final String[] TOKENS = {
    "\r\n",
    "\n",
    "\r",
    " ",
    "\t",
    "\u0000",
    "\u000b",
    "\u000c",
    "\u001c",
    "\u007f",
    "\u0085",
    "\u00ff",
    ",",
    ":",
    ";",
    "=",
    "\"",
    "\\",
    "0",
    "1",
    "8",
    "f",
    "-",
    "+",
    "\r\n\r\n",
    "0\r\n\r\n",
    "chunked",
    "identity",
    "gzip, chunked",
    "Content-Length: ",
    "Transfer-Encoding: ",
    "Connection: ",
    "content-length",
    "transfer-encoding",
    "Host: x\r\n",
    "Host: [::1]:80\r\n",
    "HTTP/1.1",
    "HTTP/1.0",
    "HTTP/2.0",
    "Expect: 100-continue\r\n",
    "x-canary: canary\r\n",
    "X-Forwarded-For: 10.1.1.1\r\n",
    "X-Forwarded-Proto: https\r\n",
    "X-Forwarded-Host: h\r\n",
    "Trailer: x\r\n",
    "Keep-Alive: 5\r\n",
    "Proxy-Authorization: x\r\n",
    "Upgrade: h2c\r\n",
    "Sec-WebSocket-Key1: a\r\n",
    "Sec-WebSocket-Key2: b\r\n",
    "Connection: x-foo, close\r\n",
    "GET / HTTP/1.1\r\n",
    "POST /p HTTP/1.1\r\n",
    "CONNECT",
    "http://h",
    "?q=1",
    ";ext=\"v\"",
    "ffffffffffffffff",
    "4294967296",
    "  ",
    "x-foo: 1\r\n"
  };

  /** Extra seeds for what the corpora miss. */
  private static final String[] SEEDS = {
    "\r\n\r\nGET /lead HTTP/1.1\r\nHost: x\r\n\r\n",
    "GET http://h HTTP/1.1\r\nHost: h\r\n\r\nGET http://h?q HTTP/1.1\r\nHost: h\r\n\r\n",
    "GET /ws HTTP/1.1\r\nHost: x\r\nSec-WebSocket-Key1: a\r\nSec-WebSocket-Key2: b\r\n\r\n12345678",
    "POST /e HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\na",
    "GET /x HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.1.1.1\r\nX-Forwarded-For: 2.2.2.2\r\n"
        + "X-Forwarded-Proto: https\r\nx-canary: canary\r\nConnection: keep-alive, x-user-id, x-a\r\n"
        + "x-a: 1\r\nx-user-id: u\r\nProxy-Connection: close\r\nTE: trailers\r\n\r\n",
    "GET /ows HTTP/1.1\r\nHost:  x  \r\nX-A:\tv\t\r\nX-B:\r\nX-C: \r\n\r\n",
    "POST /t HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;a=\"q\\\"x\";b\r\nabc\r\n0\r\nX-T: 1\r\n  fold\r\nY: 2\r\n\r\n",
    "GET /a HTTP/1.0\r\n\r\nGET /b HTTP/1.0\r\nConnection: close\r\n\r\n",
    "get  /m\tHTTP/1.1\r\nHost: x\r\n\r\n",
    // What the one-pass field-line scan decides (FieldLine): whitespace other than SP/HT before a
    // value, control bytes and DEL at a value's start, inside it and at its end, 8-bit bytes, a
    // bare CR, names that are empty or not tokens, a line without a colon, a folded value.
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A:\u000bv\r\nX-B: \u000cw\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A: \u0001v\r\nX-B: w\u0000\r\nX-C: \u007f\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A: v\u007f \r\nX-B: \u00ff\u0085 \t\r\nX-C:\t\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\nX-B:\r\r\nX-C: \r \r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX A: v\r\n: empty\r\nX\u00e9: v\r\nX-B : v\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nno colon here\r\nX-A: v:w::\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A: \r\n\tfold\u0001\r\nX-B: v\r\n fold2\r\n\r\n",
    "GET /v HTTP/1.1\r\nHost: x\r\nX-A: \u001cv\r\nX-B:\u001f\r\n\r\n",
  };

  @FuzzTest
  void fuzzDifferential(byte[] data) {
    if (data.length < 2) {
      return;
    }
    Random cuts = new Random(data[0]);
    byte[] input = Arrays.copyOfRange(data, 1, data.length);
    LimitsConfig limits = (data[0] & 1) == 0 ? DEFAULT_LIMITS : SMALL_LIMITS;
    compare(input, split(input, cuts), limits, "jazzer");
  }

  @Test
  void seedsInOnePieceAndByteByByte() {
    for (byte[] input : seeds()) {
      for (LimitsConfig limits : List.of(DEFAULT_LIMITS, SMALL_LIMITS)) {
        compare(input, List.of(input), limits, "one piece");
        if (input.length > 1000) {
          continue; // the long-line cases: one piece is enough
        }
        List<byte[]> bytes = new ArrayList<>();
        for (byte b : input) {
          bytes.add(new byte[] {b});
        }
        compare(input, bytes, limits, "byte by byte");
      }
    }
  }

  @Test
  void mutatedCorpus() {
    Random random = new Random(SEED);
    List<byte[]> seeds = seeds();
    for (int i = 0; i < MUTANTS; i++) {
      byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), seeds, random);
      LimitsConfig limits = random.nextBoolean() ? DEFAULT_LIMITS : SMALL_LIMITS;
      compare(input, split(input, random), limits, "mutant " + i + " (seed " + SEED + ")");
    }
  }

  @Test
  void theOraclesDisagreeWhenTheParserIsWrong() {
    // A check that the comparison can fail: a different target is a different outcome.
    byte[] a = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    byte[] b = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
    assertThat(LeanPath.run(DEFAULT_LIMITS, List.of(a)).toString())
        .isNotEqualTo(ReferencePath.run(DEFAULT_LIMITS, List.of(b)).toString());
  }

  static List<byte[]> seeds() {
    List<byte[]> seeds = new ArrayList<>();
    for (SmugglingCorpus.Case c : SmugglingCorpus.cases()) {
      seeds.add(c.raw().getBytes(StandardCharsets.ISO_8859_1));
    }
    MalformedRequestIT.malformed()
        .map(Arguments::get)
        .forEach(a -> seeds.add(((String) a[1]).getBytes(StandardCharsets.ISO_8859_1)));
    for (String s : SEEDS) {
      seeds.add(s.getBytes(StandardCharsets.ISO_8859_1));
    }
    return seeds;
  }

  private static void compare(byte[] input, List<byte[]> pieces, LimitsConfig limits, String what) {
    Exchange1 reference = ReferencePath.run(limits, pieces);
    Exchange1 lean = LeanPath.run(limits, pieces);
    if (reference.rejectedInBody && lean.rejectedInBody) {
      // The body bytes counted before a refusal depend on how the decoder cut its pieces.
      reference.requests.get(reference.requests.size() - 1).bodyBytes = -1;
      if (!lean.requests.isEmpty()) {
        lean.requests.get(lean.requests.size() - 1).bodyBytes = -1;
      }
    }
    assertThat(lean.toString())
        .as(
            "%s, limits %s, pieces %s:%n%s%nnew parser vs today's path",
            what, limits, sizes(pieces), Exchange1.escape(input))
        .isEqualTo(reference.toString());
  }

  private static List<Integer> sizes(List<byte[]> pieces) {
    List<Integer> sizes = new ArrayList<>();
    for (byte[] p : pieces) {
      sizes.add(p.length);
    }
    return sizes;
  }

  private static byte[] mutate(byte[] seed, List<byte[]> seeds, Random random) {
    StringBuilder s = new StringBuilder(new String(seed, StandardCharsets.ISO_8859_1));
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      int at = s.length() == 0 ? 0 : random.nextInt(s.length());
      switch (random.nextInt(6)) {
        case 0 -> s.insert(at, TOKENS[random.nextInt(TOKENS.length)]);
        case 1 -> s.delete(at, Math.min(s.length(), at + 1 + random.nextInt(8)));
        case 2 -> {
          if (s.length() > 0) {
            s.setCharAt(at, (char) random.nextInt(256));
          }
        }
        case 3 -> {
          int end = Math.min(s.length(), at + 1 + random.nextInt(40));
          s.insert(end, s.substring(at, end));
        }
        case 4 ->
            s.append(
                new String(seeds.get(random.nextInt(seeds.size())), StandardCharsets.ISO_8859_1));
        default ->
            s.replace(at, Math.min(s.length(), at + 1), TOKENS[random.nextInt(TOKENS.length)]);
      }
    }
    return s.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Cuts {@code input} into one to five pieces at random points. */
  private static List<byte[]> split(byte[] input, Random random) {
    List<byte[]> pieces = new ArrayList<>();
    int start = 0;
    int cuts = random.nextInt(5);
    for (int c = 0; c < cuts && start < input.length; c++) {
      int end = start + 1 + random.nextInt(input.length - start);
      pieces.add(Arrays.copyOfRange(input, start, end));
      start = end;
    }
    if (start < input.length) {
      pieces.add(Arrays.copyOfRange(input, start, input.length));
    }
    return pieces;
  }
}
