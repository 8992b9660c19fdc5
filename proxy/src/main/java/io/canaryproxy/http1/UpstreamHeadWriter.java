package io.canaryproxy.http1;

import io.canaryproxy.http1.Http1RequestHead.Framing;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/**
 * Writes the request head a backend receives from the bytes the client sent, with only the proxy's
 * edits, the same bytes as today's path writes (routing's override removal, {@code Expect} answered
 * by the proxy, {@code forwarding.ForwardHeaders.prepareRequest}, then Netty's request encoder):
 *
 * <ul>
 *   <li>the request line is {@code method SP target SP HTTP/1.1} (an absolute-form target without a
 *       path gets {@code /}, as Netty's encoder writes it);
 *   <li>hop-by-hop fields are left out (those {@code Connection} names only when the proxy does not
 *       read them itself), and so are the override header when its sender is not trusted and {@code
 *       Expect: 100-continue} when the proxy answered it;
 *   <li>the proxy frames the body itself: {@code transfer-encoding: chunked} for a chunked body,
 *       the client's {@code Content-Length} field otherwise, none without a body;
 *   <li>{@code x-forwarded-for} gets the client address appended, {@code x-forwarded-proto} and
 *       {@code x-forwarded-host} are added unless present; a missing {@code Host} can be supplied.
 * </ul>
 *
 * Unchanged field lines in the usual form ({@code name: value}) are copied as runs of bytes; others
 * are written as {@code name: value} with the value's surrounding whitespace dropped.
 */
public final class UpstreamHeadWriter {
  private static final byte[] HTTP11_CRLF = " HTTP/1.1\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] COLON_SP = {':', ' '};
  private static final byte[] CRLF = {'\r', '\n'};
  private static final byte[] TRANSFER_CHUNKED =
      "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] CONTENT_LENGTH =
      "content-length: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] XFF = "x-forwarded-for: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] LIST_SEPARATOR = {',', ' '};
  private static final byte[] XFP_HTTP =
      "x-forwarded-proto: http\r\n".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] XFH = "x-forwarded-host: ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] HOST = "host: ".getBytes(StandardCharsets.US_ASCII);

  private UpstreamHeadWriter() {}

  /**
   * Writes the forwarded head of {@code h}, whose bytes start at {@code src}'s reader index, to
   * {@code out}.
   *
   * @param clientIp the client address appended to {@code x-forwarded-for}
   * @param keep lower-case names of fields the proxy reads (routing): {@code Connection} cannot
   *     remove them
   * @param dropField a field name to leave out (the override header from an untrusted sender), or
   *     null
   * @param hostIfAbsent a {@code Host} value to add when the request has none (HTTP/1.0), or null
   */
  public static void write(
      Http1RequestHead h,
      ByteBuf src,
      ByteBuf out,
      String clientIp,
      Set<String> keep,
      String dropField,
      String hostIfAbsent) {
    int base = src.readerIndex();
    out.writeBytes(src, base + h.methodStart, h.methodEnd - h.methodStart);
    out.writeByte(' ');
    writeTarget(src, base + h.targetStart, base + h.targetEnd, out);
    out.writeBytes(HTTP11_CRLF, 1, HTTP11_CRLF.length - 1);
    int firstXff = -1;
    boolean xfp = false;
    int xfh = -1;
    int host = -1;
    int runStart = -1;
    int runEnd = -1;
    for (int i = 0; i < h.fieldCount; i++) {
      byte kind = h.kind[i];
      boolean removed = removed(h, src, base, i, keep, dropField);
      if (!removed) {
        switch (kind) {
          case FieldKind.X_FORWARDED_FOR -> firstXff = firstXff < 0 ? i : firstXff;
          case FieldKind.X_FORWARDED_PROTO -> xfp = true;
          case FieldKind.X_FORWARDED_HOST -> xfh = i;
          case FieldKind.HOST -> host = host < 0 ? i : host;
          default -> {}
        }
      }
      boolean kept =
          !removed
              && kind != FieldKind.X_FORWARDED_FOR
              && kind != FieldKind.TRANSFER_ENCODING
              && (kind != FieldKind.CONTENT_LENGTH || h.framing == Framing.LENGTH);
      if (!kept) {
        continue;
      }
      int lineStart = base + h.nameStart[i];
      if (isCanonical(h, src, base, i)) {
        if (runEnd == lineStart) {
          runEnd = base + h.lineEnd[i];
          continue;
        }
        flush(src, runStart, runEnd, out);
        runStart = lineStart;
        runEnd = base + h.lineEnd[i];
        continue;
      }
      flush(src, runStart, runEnd, out);
      runStart = -1;
      runEnd = -1;
      writeField(
          src, lineStart, base + h.nameEnd[i], base + h.valueStart[i], base + h.valueEnd[i], out);
    }
    flush(src, runStart, runEnd, out);
    out.writeBytes(XFF);
    if (firstXff >= 0) {
      // Every X-Forwarded-For field is one list (RFC 9110 §5.3), joined as ForwardHeaders does.
      for (int i = firstXff; i < h.fieldCount; i++) {
        if (h.kind[i] == FieldKind.X_FORWARDED_FOR && !removed(h, src, base, i, keep, dropField)) {
          int vs = base + h.valueStart[i];
          out.writeBytes(src, vs, base + h.valueEnd[i] - vs);
          out.writeBytes(LIST_SEPARATOR);
        }
      }
    }
    out.writeCharSequence(clientIp, StandardCharsets.US_ASCII);
    out.writeBytes(CRLF);
    if (!xfp) {
      out.writeBytes(XFP_HTTP);
    }
    if (xfh < 0 && host >= 0) {
      out.writeBytes(XFH);
      int vs = base + h.valueStart[host];
      out.writeBytes(src, vs, base + h.valueEnd[host] - vs);
      out.writeBytes(CRLF);
    }
    if (host < 0 && hostIfAbsent != null) {
      out.writeBytes(HOST);
      out.writeCharSequence(hostIfAbsent, StandardCharsets.US_ASCII);
      out.writeBytes(CRLF);
    }
    // framing last, as the upstream adapter (Http1BackendAdapter) sets it on the edited head
    if (h.framing == Framing.CHUNKED) {
      out.writeBytes(TRANSFER_CHUNKED);
    } else if (h.framing == Framing.LENGTH && h.lengthImplied) {
      out.writeBytes(CONTENT_LENGTH);
      out.writeCharSequence(Long.toString(h.contentLength), StandardCharsets.US_ASCII);
      out.writeBytes(CRLF);
    }
    out.writeBytes(CRLF);
  }

  private static boolean removed(
      Http1RequestHead h, ByteBuf src, int base, int i, Set<String> keep, String dropField) {
    byte hop = h.hop[i];
    if (hop == Http1RequestHead.HOP_ALWAYS) {
      return true;
    }
    int ns = base + h.nameStart[i];
    int ne = base + h.nameEnd[i];
    if (hop == Http1RequestHead.HOP_NAMED
        && !keep.contains(
            src.toString(ns, ne - ns, StandardCharsets.ISO_8859_1).toLowerCase(Locale.ROOT))) {
      return true;
    }
    if (h.expectsContinue && h.kind[i] == FieldKind.EXPECT) {
      return true;
    }
    return dropField != null && equalsIgnoreCase(src, ns, ne, dropField);
  }

  private static boolean equalsIgnoreCase(ByteBuf buf, int start, int end, String name) {
    if (end - start != name.length()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      if (Ascii.toLower(buf.getByte(start + i)) != Ascii.toLower(name.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  /** {@code name: value} then CRLF, as the field line already reads. */
  private static boolean isCanonical(Http1RequestHead h, ByteBuf src, int base, int i) {
    int ne = h.nameEnd[i];
    return h.valueStart[i] == ne + 2
        && src.getByte(base + ne + 1) == ' '
        && h.lineEnd[i] == h.valueEnd[i] + 2;
  }

  private static void flush(ByteBuf src, int start, int end, ByteBuf out) {
    if (start >= 0 && end > start) {
      out.writeBytes(src, start, end - start);
    }
  }

  private static void writeField(ByteBuf src, int ns, int ne, int vs, int ve, ByteBuf out) {
    out.writeBytes(src, ns, ne - ns);
    out.writeBytes(COLON_SP);
    out.writeBytes(src, vs, ve - vs);
    out.writeBytes(CRLF);
  }

  /**
   * The target as Netty's encoder writes it: an absolute-form target without a path gets {@code /},
   * before its query if it has one.
   */
  private static void writeTarget(ByteBuf src, int start, int end, ByteBuf out) {
    int scheme = indexOf(src, start, end, "://");
    if (scheme < 0 || src.getByte(start) == '/') {
      out.writeBytes(src, start, end - start);
      out.writeByte(' ');
      return;
    }
    int authority = scheme + 3;
    int query = Ascii.indexOf(src, authority, end, (byte) '?');
    int pathEnd = query < 0 ? end : query;
    boolean hasPath = Ascii.indexOf(src, authority, pathEnd, (byte) '/') >= 0;
    if (hasPath) {
      out.writeBytes(src, start, end - start);
      out.writeByte(' ');
    } else if (query < 0) {
      out.writeBytes(src, start, end - start);
      out.writeByte('/');
      out.writeByte(' ');
    } else {
      out.writeBytes(src, start, query - start);
      out.writeByte('/');
      out.writeBytes(src, query, end - query);
      out.writeByte(' ');
    }
  }

  private static int indexOf(ByteBuf buf, int start, int end, String s) {
    outer:
    for (int i = start; i + s.length() <= end; i++) {
      for (int k = 0; k < s.length(); k++) {
        if (buf.getByte(i + k) != s.charAt(k)) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
