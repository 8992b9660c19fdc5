package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http.HttpVersion;
import io.canaryproxy.http1.Exchange1;
import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.server.ReferencePath;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Request heads whose size straddles the parsers' heap copy ({@link HeadCopy#MAX_BYTES}: a receive
 * buffer up to that size is parsed on a copy, a larger one in place), cut into reads at the awkward
 * points (around the copy's size, inside a CRLF, inside a field name, around a colon, at the head's
 * end), through the live {@link Http1RequestDecoder}: every request it lets through and every
 * refusal is the reference path's ({@link ReferencePath}: Netty's decoder with the old guard, which
 * the parser differential test compares the parser with, but on a buffer parsed in place only).
 */
class HeadCopyBoundaryTest {
  private static final LimitsConfig DEFAULT =
      new LimitsConfig(8 * 1024, 16 * 1024, 100, 100L * 1024 * 1024);

  /**
   * A header limit that a head of the copy's size just meets: the heads below of {@code MAX_BYTES}
   * bytes or fewer are accepted, longer ones refused with 431 (field lines without their CRLF: the
   * head's length less 25).
   */
  private static final LimitsConfig AT_COPY =
      new LimitsConfig(8 * 1024, HeadCopy.MAX_BYTES - 25, 100, 100L * 1024 * 1024);

  private static final List<LimitsConfig> BOTH = List.of(DEFAULT, AT_COPY);

  /** The inputs also read under {@link #AT_COPY}. */
  private static final List<String> AT_LIMIT =
      List.of("valid", "after empty lines", "with a body, then the next request");

  private static final String NEXT = "GET /next HTTP/1.1\r\nHost: x\r\n\r\n";

  /** Name, and the head of {@code total} bytes (up to its blank line) then what follows it. */
  private static Map<String, byte[]> inputs(int total) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("valid", head(total, "", "X-B: v\r\n", ""));
    m.put("after empty lines", head(total, "\r\n\r\n", "X-B: v\r\n", ""));
    m.put(
        "with a body, then the next request",
        head(total, "", "Content-Length: 5\r\n", "hello" + NEXT));
    m.put("then the next request", head(total, "", "X-B: v\r\n", NEXT));
    m.put("obs-fold", head(total, "", " folded\r\n", NEXT));
    m.put("bare LF", head(total, "", "X-B: v\n", NEXT));
    m.put("NUL in a value", head(total, "", "X-B: v\u0000w\r\n", NEXT));
    m.put("NUL in a name", head(total, "", "X-\u0000B: v\r\n", NEXT));
    m.put("CR in a value", head(total, "", "X-B: v\rw\r\n", NEXT));
    m.put("space before a colon", head(total, "", "X-B : v\r\n", NEXT));
    m.put("two Content-Length", head(total, "", "Content-Length: 1\r\nContent-Length: 1\r\n", "x"));
    return m;
  }

  /**
   * {@code before}, a request line, Host, an X-Pad field padded so that the head is {@code total}
   * bytes long counting {@code before}, the {@code line} field line(s), the blank line; then {@code
   * after}.
   */
  private static byte[] head(int total, String before, String line, String after) {
    String start = before + "GET /t HTTP/1.1\r\nHost: x\r\nX-Pad: ";
    String end = "\r\n" + line + "\r\n";
    int pad = total - start.length() - end.length();
    String s = start + "p".repeat(pad) + end + after;
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Where a read may end: near the copy's size and the head's end, and around every delimiter of
   * the head.
   */
  private static TreeSet<Integer> cuts(byte[] input, int total) {
    TreeSet<Integer> cuts = new TreeSet<>();
    // Not inside what follows the head: the next request is an ordinary one.
    for (int p = 1; p < Math.min(input.length, total + 4); p++) {
      byte before = input[p - 1];
      byte at = input[p];
      boolean delimiter =
          isDelimiter(before)
              || isDelimiter(at)
              || (p >= 2 && input[p - 2] == '\n'); // inside a field name
      if (p <= 4
          || Math.abs(p - HeadCopy.MAX_BYTES) <= 3
          || Math.abs(p - total) <= 3
          || delimiter) {
        cuts.add(p);
      }
    }
    return cuts;
  }

  private static boolean isDelimiter(byte b) {
    return b == '\r' || b == '\n' || b == ':' || b == ' ' || b == 0;
  }

  @Test
  void headsAroundTheCopySizeInTwoOrThreeReadsDecodeAsTheReferenceDecides() {
    int compared = 0;
    TreeSet<String> outcomes = new TreeSet<>();
    for (int total = HeadCopy.MAX_BYTES - 1; total <= HeadCopy.MAX_BYTES + 1; total++) {
      for (Map.Entry<String, byte[]> e : inputs(total).entrySet()) {
        byte[] input = e.getValue();
        // The valid heads also meet a header limit at the copy's size (bounded run time).
        for (LimitsConfig limits : AT_LIMIT.contains(e.getKey()) ? BOTH : List.of(DEFAULT)) {
          String what =
              e.getKey() + ", head " + total + " bytes, header limit " + limits.maxHeaderBytes();
          outcomes.add(compare(input, List.of(input), limits, what + ", one read"));
          for (int p : cuts(input, total)) {
            compare(input, pieces(input, p), limits, what + ", reads cut at " + p);
            // The first two reads both fit the copy; the third makes the head larger than it.
            int q = HeadCopy.MAX_BYTES;
            if (p < q - 1 && q < input.length && (p <= 20 || p >= total - 40)) {
              compare(input, pieces(input, p, q), limits, what + ", reads cut at " + p + ", " + q);
            }
            compared++;
          }
        }
      }
    }
    assertThat(compared).isGreaterThan(500);
    // Both sides of the copy's size are let through and refused: the heads test what they claim.
    assertThat(outcomes).contains("2 requests, not refused", "1 requests, not refused");
    assertThat(outcomes).contains("0 requests, refused 400", "0 requests, refused 431");
  }

  /** Fails unless the live decoder makes of {@code pieces} what the reference does; an outcome. */
  private static String compare(
      byte[] input, List<byte[]> pieces, LimitsConfig limits, String what) {
    Exchange1 reference = ReferencePath.run(limits, pieces);
    Exchange1 live = live(limits, pieces);
    assertThat(describe(live))
        .as("%s:%n%s%nlive decoder vs reference", what, Exchange1.escape(input))
        .isEqualTo(describe(reference));
    return reference.requests.size()
        + " requests, "
        + (reference.rejectedStatus == 0 ? "not refused" : "refused " + reference.rejectedStatus);
  }

  /** The comparable part of an outcome: the forwarded head is not the decoder's to write. */
  private static String describe(Exchange1 x) {
    StringBuilder sb = new StringBuilder();
    for (Exchange1.Request r : x.requests) {
      sb.append(r.method)
          .append(' ')
          .append(r.target)
          .append(" HTTP/1.")
          .append(r.minor)
          .append(' ')
          .append(r.fields)
          .append(" framing=")
          .append(r.framing)
          .append(" body=")
          .append(r.bodyBytes)
          .append(r.complete ? "" : " (incomplete)")
          .append('\n');
    }
    return sb.append(x.rejectedStatus == 0 ? "not refused" : "refused " + x.rejectedStatus)
        .toString();
  }

  private static List<byte[]> pieces(byte[] input, int... cuts) {
    List<byte[]> pieces = new ArrayList<>();
    int from = 0;
    for (int c : cuts) {
      pieces.add(Arrays.copyOfRange(input, from, c));
      from = c;
    }
    pieces.add(Arrays.copyOfRange(input, from, input.length));
    return pieces;
  }

  /** The live decoder fed {@code pieces} as reads, its messages read as the adapter gets them. */
  private static Exchange1 live(LimitsConfig limits, List<byte[]> pieces) {
    Exchange1 out = new Exchange1();
    boolean[] ended = {false};
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new Http1RequestDecoder(limits, 0, 0),
            new ChannelInboundHandlerAdapter() {
              private Exchange1.Request current;

              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                try {
                  if (ended[0]) {
                    return;
                  }
                  if (msg instanceof RejectedRequest rejected) {
                    out.rejectedStatus = rejected.status().code();
                  } else if (msg instanceof Http1Head h) {
                    current = new Exchange1.Request();
                    current.method = h.method();
                    current.target = h.target();
                    current.minor = h.version() == HttpVersion.HTTP_1_1 ? 1 : 0;
                    for (Map.Entry<CharSequence, CharSequence> f : h) {
                      current.fields.add(f.getKey() + ": " + f.getValue());
                    }
                    current.framing =
                        h.bodyLength() < 0
                            ? "chunked"
                            : h.contains("content-length") ? "length " + h.bodyLength() : "none";
                    out.requests.add(current);
                  } else if (msg instanceof ByteBuf b) {
                    current.bodyBytes += b.readableBytes();
                  } else if (msg == Http1RequestDecoder.End.INSTANCE) {
                    current.complete = true;
                  }
                } finally {
                  ReferenceCountUtil.release(msg);
                }
              }
            });
    try {
      for (byte[] piece : pieces) {
        if (out.rejectedStatus != 0) {
          break;
        }
        ch.writeInbound(Unpooled.copiedBuffer(piece));
      }
    } finally {
      ended[0] = true; // what the end of input makes is not compared (as for the reference)
      ch.finishAndReleaseAll();
    }
    return out;
  }
}
