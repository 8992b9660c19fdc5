package io.canaryproxy.http1;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.Http1RequestHead.Framing;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;

/**
 * The new parser, writer and chunked validator driven as an adapter would drive them: a cumulation
 * receives each piece; a head is parsed in place, its forwarded head written, then its body framed.
 */
public final class LeanPath {
  public static final String CLIENT_IP = "192.0.2.7";
  public static final Set<String> KEEP = Set.of("x-user-id", "x-canary");
  public static final String DROP = "x-canary";
  public static final String HOST_IF_ABSENT = "10.0.0.1:8080";

  private LeanPath() {}

  public static Exchange1 run(LimitsConfig limits, List<byte[]> pieces) {
    RequestHeadParser parser = new RequestHeadParser(limits);
    ChunkedBodyValidator chunks = new ChunkedBodyValidator(limits);
    Exchange1 out = new Exchange1();
    ByteBuf cum = Unpooled.buffer();
    try {
      Exchange1.Request current = null;
      long lengthLeft = 0;
      for (byte[] piece : pieces) {
        cum.writeBytes(piece);
        while (true) {
          if (current != null && !current.complete) {
            if (current.framing.equals("chunked")) {
              int n = chunks.feed(cum);
              cum.skipBytes(n);
              current.bodyBytes = chunks.dataBytes();
              if (chunks.state() == ChunkedBodyValidator.State.REJECTED) {
                out.rejectedStatus = chunks.rejection().status();
                out.rejectedInBody = true;
                return out;
              }
              if (chunks.state() == ChunkedBodyValidator.State.INCOMPLETE) {
                break;
              }
            } else {
              int n = (int) Math.min(lengthLeft, cum.readableBytes());
              cum.skipBytes(n);
              lengthLeft -= n;
              current.bodyBytes += n;
              if (lengthLeft > 0) {
                break;
              }
            }
            current.complete = true;
          }
          if (current != null && carriesUpgrade(current)) {
            // As the live decoder (and the reference's): nothing after the end of an upgrade
            // request
            // is read until its answer, which this path does not model.
            return out;
          }
          RequestHeadParser.Result r = parser.parse(cum);
          if (r == RequestHeadParser.Result.INCOMPLETE) {
            break;
          }
          if (r == RequestHeadParser.Result.REJECTED) {
            out.rejectedStatus = parser.rejection().status();
            return out;
          }
          current = describe(parser.head(), cum);
          out.requests.add(current);
          Http1RequestHead h = parser.head();
          cum.skipBytes(h.length());
          switch (h.framing()) {
            case CHUNKED -> chunks.start(h.headerBytes());
            case LENGTH -> lengthLeft = h.contentLength();
            default -> lengthLeft = 0;
          }
          current.complete =
              h.framing() == Framing.NONE || lengthLeft == 0 && h.framing() != Framing.CHUNKED;
        }
      }
      return out;
    } finally {
      cum.release();
    }
  }

  private static boolean carriesUpgrade(Exchange1.Request r) {
    for (String field : r.fields) {
      if (field.regionMatches(true, 0, "upgrade:", 0, 8)) {
        return true;
      }
    }
    return false;
  }

  static Exchange1.Request describe(Http1RequestHead h, ByteBuf src) {
    Exchange1.Request r = new Exchange1.Request();
    r.method = Http1RequestHead.text(src, h.methodStart(), h.methodEnd());
    r.target = Http1RequestHead.text(src, h.targetStart(), h.targetEnd());
    r.minor = h.minorVersion();
    for (int i = 0; i < h.fieldCount(); i++) {
      r.fields.add(
          Http1RequestHead.text(src, h.nameStart(i), h.nameEnd(i))
              + ": "
              + Http1RequestHead.text(src, h.valueStart(i), h.valueEnd(i)));
    }
    r.framing =
        switch (h.framing()) {
          case NONE -> "none";
          case LENGTH -> "length " + h.contentLength();
          case CHUNKED -> "chunked";
        };
    ByteBuf head = Unpooled.buffer();
    try {
      UpstreamHeadWriter.write(h, src, head, CLIENT_IP, KEEP, DROP, HOST_IF_ABSENT);
      r.forwardedHead = Exchange1.escape(ByteBufBytes.of(head));
    } finally {
      head.release();
    }
    return r;
  }

  /** Bytes of a buffer's readable part. */
  static final class ByteBufBytes {
    static byte[] of(ByteBuf b) {
      byte[] out = new byte[b.readableBytes()];
      b.getBytes(b.readerIndex(), out);
      return out;
    }

    static String text(ByteBuf b) {
      return b.toString(StandardCharsets.ISO_8859_1);
    }
  }
}
