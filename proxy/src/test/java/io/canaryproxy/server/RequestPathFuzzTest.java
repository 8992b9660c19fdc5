/*
 * Fuzzing of the request path (client bytes -> proxy pipeline -> backend bytes), on EmbeddedChannels.
 *
 * `mvn verify` runs two things here: mutatedCorpus, a fixed-seed run of thousands of inputs mutated
 * from the smuggling corpus, and fuzzRequestPath in Jazzer's regression mode (its seed inputs only).
 * For real coverage-guided fuzzing, run Jazzer for a bounded time:
 *
 *   JAZZER_FUZZ=1 mvn -B -o -pl proxy test -Dtest='RequestPathFuzzTest#fuzzRequestPath' \
 *       -Djazzer.max_duration=10m -Dspotless.check.skip=true
 *
 * Findings are written under src/test/resources/io/canaryproxy/server/RequestPathFuzzTestInputs/
 * and replayed by every later `mvn verify`.
 */
package io.canaryproxy.server;

import com.code_intelligence.jazzer.junit.FuzzTest;
import io.canaryproxy.testing.SmugglingCorpus;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * For any client bytes, split into any pieces, every request a backend receives parses strictly and
 * is a request of the input with the body length its client declared, and no buffer leaks (see
 * {@link RequestPathHarness}).
 */
class RequestPathFuzzTest {
  /** Inputs of the fixed-seed run: about 20 mutants of each corpus case. */
  private static final int MUTANTS = 1500;

  private static final long SEED = 0x5eedL;

  /** Fragments that matter to HTTP/1.1 framing, spliced in by the mutator. */
  private static final String[] TOKENS = {
    "\r\n",
    "\n",
    "\r",
    " ",
    "\t",
    "\u0000",
    "\u000b",
    ",",
    ":",
    ";",
    "0",
    "1",
    "f",
    "-",
    "+",
    "\r\n\r\n",
    "0\r\n\r\n",
    "chunked",
    "identity",
    "Content-Length: ",
    "Transfer-Encoding: ",
    "Connection: ",
    "content-length",
    "transfer-encoding",
    "Host: x\r\n",
    "HTTP/1.1",
    "HTTP/1.0",
    "Expect: 100-continue\r\n",
    "x-canary: canary\r\n",
    "Trailer: x\r\n",
    "GET / HTTP/1.1\r\n",
    "POST /p HTTP/1.1\r\n",
    "ffffffffffffffff",
    "4294967296"
  };

  @FuzzTest
  void fuzzRequestPath(byte[] data) throws Exception {
    if (data.length < 2) {
      return;
    }
    // The first byte chooses where the rest is cut into pieces.
    Random cuts = new Random(data[0]);
    byte[] input = new byte[data.length - 1];
    System.arraycopy(data, 1, input, 0, input.length);
    RequestPathHarness.run(input, split(input, cuts));
  }

  @Test
  void corpusCasesInOnePieceAndByteByByte() throws Exception {
    for (SmugglingCorpus.Case c : SmugglingCorpus.cases()) {
      byte[] input = c.raw().getBytes(StandardCharsets.ISO_8859_1);
      RequestPathHarness.run(input, List.of(input));
      List<byte[]> bytes = new ArrayList<>();
      for (byte b : input) {
        bytes.add(new byte[] {b});
      }
      RequestPathHarness.run(input, bytes);
    }
  }

  @Test
  void mutatedCorpus() throws Exception {
    Random random = new Random(SEED);
    List<SmugglingCorpus.Case> seeds = SmugglingCorpus.cases();
    for (int i = 0; i < MUTANTS; i++) {
      byte[] seed =
          seeds.get(random.nextInt(seeds.size())).raw().getBytes(StandardCharsets.ISO_8859_1);
      byte[] input = mutate(seed, seeds, random);
      try {
        RequestPathHarness.run(input, split(input, random));
      } catch (AssertionError e) {
        throw new AssertionError(
            "mutant " + i + " (seed " + SEED + "): " + escape(input) + "\n" + e.getMessage(), e);
      }
    }
  }

  private static byte[] mutate(byte[] seed, List<SmugglingCorpus.Case> seeds, Random random) {
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
        case 4 -> s.append(seeds.get(random.nextInt(seeds.size())).raw());
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
      pieces.add(java.util.Arrays.copyOfRange(input, start, end));
      start = end;
    }
    if (start < input.length) {
      pieces.add(java.util.Arrays.copyOfRange(input, start, input.length));
    }
    return pieces;
  }

  private static String escape(byte[] input) {
    StringBuilder sb = new StringBuilder("\"");
    for (byte b : input) {
      int c = b & 0xff;
      if (c == '\r') {
        sb.append("\\r");
      } else if (c == '\n') {
        sb.append("\\n");
      } else if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
        sb.append(String.format("\\u%04x", c));
      } else {
        sb.append((char) c);
      }
    }
    return sb.append('"').toString();
  }
}
