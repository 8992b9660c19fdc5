package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.Headers;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.server.ReferenceResponseDecoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Differential test of the in-place backend response decoder ({@link Http1ResponseDecoder}, on
 * {@code ResponseHeadParser}) against the old path's ({@link ReferenceResponseDecoder}: Netty's
 * decoder with BackendCodec's checks), on seed responses from the framing and smuggling tests and
 * on fixed-seed mutants of them (bounded: a few thousand cases, seconds). Each side's output is
 * reduced to events (head: status and field multiset; body bytes; end: trailer multiset; refusal)
 * and the new decoder fails the test when it accepts what the reference refused, or reads a head, a
 * body or an end differently. It may refuse earlier (it is stricter: obs-fold, whitespace before a
 * colon, bare LF, CRLF after chunk data are refused, where Netty repaired them).
 */
class Http1ResponseDifferentialTest {
  private static final String EVIL =
      "HTTP/1.1 302 Found\r\nLocation: http://evil.example/\r\nContent-Length: 0\r\n\r\n";

  static final String[] SEEDS = {
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" + EVIL,
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\nok\r\n0\r\nX-T: 1\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n1\r\na\r\n0\r\n\r\n" + EVIL,
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nuntil close",
    "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close",
    "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
    "HTTP/1.1 204 No Content\r\n\r\n" + EVIL,
    "HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.0 200 OK\r\nContent-Length: 2\r\nContent-Length: 7\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 2, 7\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
    "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 600 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/2.0 200 OK\r\n\r\n",
    "hello\r\n",
    "\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx",
    "HTTP/1.1 200\r\nX-A:  spaced \r\nX-B:\r\nContent-Length: +1\r\n\r\nx",
    // What the one-pass field-line scan decides (FieldLine): other whitespace before a value,
    // control bytes, DEL and 8-bit bytes in values, a bare CR, names that are not tokens.
    "HTTP/1.1 200 OK\r\nX-A:\u000bv\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nX-A: \u0001v\r\nX-B: w\u007f\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nX-A: \u00ff\u0085 \t\r\nX-B:\t\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nX A: v\r\n: e\r\nno colon\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 404 Not Found\r\nConnection: close\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        + "Content-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n",
  };

  private static final byte[] INTERESTING = {
    '\r',
    '\n',
    ' ',
    '\t',
    ':',
    ',',
    ';',
    '0',
    '1',
    'f',
    'x',
    0,
    0x0b,
    0x7f,
    (byte) 0x80,
    (byte) 0xff
  };

  private static final String[] SNIPPETS = {
    "\r\n",
    "Content-Length: 1\r\n",
    "Transfer-Encoding: chunked\r\n",
    "Transfer-Encoding: identity\r\n",
    "Connection: close\r\n",
    " folded\r\n",
    "0\r\n\r\n",
    "HTTP/1.1 200 OK\r\n",
    "Content-Length : 1\r\n",
  };

  @Test
  void seedsReadAlike() {
    for (String seed : SEEDS) {
      byte[] b = seed.getBytes(StandardCharsets.ISO_8859_1);
      compare(b, false);
      compare(b, true);
    }
  }

  @Test
  void fixedSeedMutantsReadAlike() {
    Random random = new Random(0x5eed13L);
    int cases = 0;
    for (int round = 0; round < 120; round++) {
      for (String seed : SEEDS) {
        byte[] b = seed.getBytes(StandardCharsets.ISO_8859_1);
        int edits = 1 + random.nextInt(3);
        for (int e = 0; e < edits; e++) {
          b = mutate(b, random);
        }
        compare(b, random.nextInt(8) == 0);
        cases++;
      }
    }
    assertThat(cases).isEqualTo(120 * SEEDS.length);
  }

  /**
   * Response heads whose size straddles the parser's heap copy ({@code HeadCopy.MAX_BYTES}: a
   * receive buffer up to that size is parsed on a copy, a larger one in place), read in two pieces
   * cut at the awkward points (around the copy's size, inside a CRLF or a field name, around a
   * colon, at the head's end): read as the reference reads them whole, whichever side of the copy's
   * size each read leaves the head. The status line is as long as the line limit in one of them.
   */
  @Test
  void headsAroundTheCopySizeReadAlikeInTwoPieces() {
    int copy = HeadCopy.MAX_BYTES;
    int cases = 0;
    for (int total = copy - 1; total <= copy + 1; total++) {
      List<byte[]> inputs =
          List.of(
              padded(total, "", "HTTP/1.1 200 OK\r\n", "Content-Length: 2\r\n", "ok"),
              padded(total, "", "HTTP/1.1 200 OK\r\n", "Content-Length: 2\r\n", "ok" + EVIL),
              padded(total, "\r\n\r\n", "HTTP/1.1 200 OK\r\n", "Content-Length: 2\r\n", "ok"),
              padded(total, "", "HTTP/1.1 200 OK\r\n", " folded\r\nContent-Length: 2\r\n", "ok"),
              padded(total, "", "HTTP/1.1 200 OK\r\n", "X-B: v\nContent-Length: 2\r\n", "ok"),
              padded(
                  total, "", "HTTP/1.1 200 OK\r\n", "X-B: v\u0000w\r\nContent-Length: 2\r\n", "ok"),
              padded(total, "", "HTTP/1.1 200 OK\r\n", "X-B : v\r\nContent-Length: 2\r\n", "ok"),
              padded(
                  total,
                  "",
                  "HTTP/1.1 103 Early Hints\r\n",
                  "Link: </a>\r\n",
                  "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
              longStatusLine(total));
      for (byte[] input : inputs) {
        for (int p = 1; p < input.length; p++) {
          boolean delimiter =
              isDelimiter(input[p - 1]) || isDelimiter(input[p]) || input[p - 1] == '\n';
          if (p <= 4 || Math.abs(p - copy) <= 3 || Math.abs(p - total) <= 3 || delimiter) {
            List<byte[]> pieces =
                List.of(
                    Arrays.copyOfRange(input, 0, p), Arrays.copyOfRange(input, p, input.length));
            compare(input, pieces, false);
            compare(input, pieces, true);
            cases++;
          }
        }
      }
    }
    assertThat(cases).isGreaterThan(300);
  }

  private static boolean isDelimiter(byte b) {
    return b == '\r' || b == '\n' || b == ':' || b == ' ' || b == 0;
  }

  /**
   * {@code before}, {@code statusLine}, an X-Pad field padded so that the head is {@code total}
   * bytes counting {@code before}, then {@code fields}, the blank line and {@code after}.
   */
  private static byte[] padded(
      int total, String before, String statusLine, String fields, String after) {
    String start = before + statusLine + "X-Pad: ";
    String end = "\r\n" + fields + "\r\n";
    String s = start + "p".repeat(total - start.length() - end.length()) + end + after;
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** A head of {@code total} bytes that is mostly its status line's reason phrase. */
  private static byte[] longStatusLine(int total) {
    String end = "\r\nContent-Length: 2\r\n\r\n";
    String start = "HTTP/1.1 200 ";
    String s = start + "R".repeat(total - start.length() - end.length()) + end + "ok";
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] mutate(byte[] in, Random random) {
    if (in.length == 0) {
      return new byte[] {INTERESTING[random.nextInt(INTERESTING.length)]};
    }
    int at = random.nextInt(in.length);
    switch (random.nextInt(5)) {
      case 0 -> {
        byte[] out = new byte[in.length - 1];
        System.arraycopy(in, 0, out, 0, at);
        System.arraycopy(in, at + 1, out, at, in.length - at - 1);
        return out;
      }
      case 1 -> {
        byte[] out = new byte[in.length + 1];
        System.arraycopy(in, 0, out, 0, at);
        out[at] = INTERESTING[random.nextInt(INTERESTING.length)];
        System.arraycopy(in, at, out, at + 1, in.length - at);
        return out;
      }
      case 2 -> {
        byte[] out = in.clone();
        out[at] = INTERESTING[random.nextInt(INTERESTING.length)];
        return out;
      }
      case 3 -> {
        byte[] s = SNIPPETS[random.nextInt(SNIPPETS.length)].getBytes(StandardCharsets.ISO_8859_1);
        // inserted at a line start when there is one near
        int lineStart = at;
        while (lineStart > 0 && in[lineStart - 1] != '\n') {
          lineStart--;
        }
        byte[] out = new byte[in.length + s.length];
        System.arraycopy(in, 0, out, 0, lineStart);
        System.arraycopy(s, 0, out, lineStart, s.length);
        System.arraycopy(in, lineStart, out, lineStart + s.length, in.length - lineStart);
        return out;
      }
      default -> {
        byte[] out = in.clone();
        byte c = out[at];
        if (c >= 'a' && c <= 'z') {
          out[at] = (byte) (c - 32);
        } else if (c >= 'A' && c <= 'Z') {
          out[at] = (byte) (c + 32);
        } else if (c >= '0' && c <= '9') {
          out[at] = (byte) ('0' + random.nextInt(10));
        }
        return out;
      }
    }
  }

  private static void compare(byte[] input, boolean answersHead) {
    compare(input, List.of(input), answersHead);
  }

  /**
   * As above, the in-place decoder reading {@code input} in {@code pieces} (the reference: whole).
   */
  private static void compare(byte[] input, List<byte[]> pieces, boolean answersHead) {
    List<String> expected = reference(input, answersHead);
    List<String> actual = inPlace(pieces, answersHead);
    String shown =
        new String(input, StandardCharsets.ISO_8859_1)
            + (pieces.size() > 1 ? " read in pieces of " + sizes(pieces) : "");
    for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
      String r = i < expected.size() ? expected.get(i) : null;
      String m = i < actual.size() ? actual.get(i) : null;
      if ("X".equals(m)) {
        return; // refused at or before the reference: stricter is allowed
      }
      assertThat(m)
          .as(
              "event %d of %s (head=%s): reference %s, in place %s",
              i, shown, answersHead, expected, actual)
          .isEqualTo(r);
      if (r == null) {
        return;
      }
    }
  }

  /** Body bytes just before a refusal are dropped: where each side stops reading may differ. */
  private static List<String> normalise(List<String> events) {
    List<String> out = new ArrayList<>();
    for (String e : events) {
      if (e.equals("X") && !out.isEmpty() && out.get(out.size() - 1).startsWith("B")) {
        out.remove(out.size() - 1);
      }
      if (e.startsWith("B") && !out.isEmpty() && out.get(out.size() - 1).startsWith("B")) {
        out.set(out.size() - 1, out.get(out.size() - 1) + e.substring(1));
        continue;
      }
      out.add(e);
      if (e.equals("X")) {
        break;
      }
    }
    return out;
  }

  private static List<String> reference(byte[] input, boolean answersHead) {
    EmbeddedChannel ch = new EmbeddedChannel(new ReferenceResponseDecoder(answersHead, false));
    List<String> events = new ArrayList<>();
    try {
      ch.writeInbound(Unpooled.wrappedBuffer(input));
      ch.finish();
      for (Object o; (o = ch.readInbound()) != null; ) {
        try {
          HttpObject h = (HttpObject) o;
          if (h.decoderResult().isFailure()) {
            events.add("X");
            continue;
          }
          if (o instanceof HttpResponse r) {
            events.add("H" + r.status().code() + " " + fields(r.headers()));
          }
          if (o instanceof HttpContent c && c.content().isReadable()) {
            events.add("B" + c.content().toString(StandardCharsets.ISO_8859_1));
          }
          if (o instanceof LastHttpContent last) {
            events.add("E" + fields(last.trailingHeaders()));
          }
        } finally {
          ReferenceCountUtil.release(o);
        }
      }
    } finally {
      ch.finishAndReleaseAll();
    }
    return normalise(events);
  }

  private static List<Integer> sizes(List<byte[]> pieces) {
    List<Integer> sizes = new ArrayList<>();
    for (byte[] p : pieces) {
      sizes.add(p.length);
    }
    return sizes;
  }

  private static List<String> inPlace(List<byte[]> pieces, boolean answersHead) {
    List<String> events = new ArrayList<>();
    // The head view is re-pointed at the next head: each event is read as it is handed on.
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new Http1ResponseDecoder(4096, 64 * 1024, Http1BackendHeadTest.requests(answersHead)),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object o) {
                if (o instanceof MalformedMessage) {
                  events.add("X");
                } else if (o instanceof Http1BackendResponse r) {
                  events.add("H" + r.status() + " " + fields(r.headers()));
                } else if (o instanceof ByteBuf b) {
                  events.add("B" + b.toString(StandardCharsets.ISO_8859_1));
                  b.release();
                } else if (o instanceof BodyEnd end) {
                  events.add("E" + (end.trailers() == null ? "[]" : fields(end.trailers())));
                }
              }
            });
    try {
      for (byte[] piece : pieces) {
        ch.writeInbound(Unpooled.wrappedBuffer(piece));
      }
      ch.finish();
    } finally {
      ch.finishAndReleaseAll();
    }
    return normalise(events);
  }

  private static String fields(HttpHeaders h) {
    List<String> all = new ArrayList<>();
    for (Map.Entry<String, String> e : h) {
      all.add(e.getKey().toLowerCase(Locale.ROOT) + "=" + e.getValue());
    }
    all.sort(null);
    return all.toString();
  }

  private static String fields(Headers h) {
    List<String> all = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : h) {
      all.add(e.getKey().toString().toLowerCase(Locale.ROOT) + "=" + e.getValue());
    }
    all.sort(null);
    return all.toString();
  }
}
