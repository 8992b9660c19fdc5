package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.netty.buffer.ByteBuf;

/**
 * Parses a backend's response head in place, with the strictness of {@code server.BackendCodec}:
 * the bytes after any empty lines must start {@code HTTP/1.} (junk fails at once, not at the
 * timeout), the status line is {@code HTTP/1.x NNN [reason]} with a code in 100..599, one valid
 * {@code Content-Length} at most, no {@code Content-Length} beside {@code Transfer-Encoding}, no
 * {@code Transfer-Encoding} in HTTP/1.0, and no {@code 101} unless the request asked to upgrade.
 * Stricter than Netty's response decoder, which repairs them: whitespace before a field's colon and
 * obs-fold are refused (RFC 9112 §5.1, §5.2 allow a proxy to answer 502).
 *
 * <p>Framing (RFC 9112 §6.3): 1xx, 204, 304 and the answer to a HEAD have no body; then {@code
 * chunked} as the final coding; then {@code Content-Length}; otherwise the body runs until the
 * backend closes. Every refusal is {@link Rejection#BAD_RESPONSE}: the client gets 502.
 */
public final class ResponseHeadParser {
  private static final byte[] PREFIX = {'H', 'T', 'T', 'P', '/', '1', '.'};

  private final int maxLineBytes;
  private final int maxHeaderBytes;
  private final Http1ResponseHead head = new Http1ResponseHead();
  private final FieldLine line = new FieldLine();
  private boolean rejected;
  private boolean switchAllowed;

  /**
   * @param maxLineBytes longest status line, in bytes, CRLF excluded
   * @param maxHeaderBytes largest field section, in bytes, CRLFs excluded
   */
  public ResponseHeadParser(int maxLineBytes, int maxHeaderBytes) {
    this.maxLineBytes = maxLineBytes;
    this.maxHeaderBytes = maxHeaderBytes;
  }

  public Http1ResponseHead head() {
    return head;
  }

  /**
   * Parses the head at {@code buf}'s reader index (empty lines before it are consumed). Re-parses
   * from the start on each call until complete; heads are small and usually arrive in one read.
   *
   * @param answersHead whether the request was a HEAD (its answer has no body)
   */
  public RequestHeadParser.Result parse(ByteBuf buf, boolean answersHead) {
    return parse(buf, answersHead, false);
  }

  /**
   * As {@link #parse(ByteBuf, boolean)}; {@code switchAllowed} accepts a {@code 101} (the request
   * asked to upgrade: the connection then carries a tunnel after this head).
   */
  public RequestHeadParser.Result parse(ByteBuf buf, boolean answersHead, boolean switchAllowed) {
    this.switchAllowed = switchAllowed;
    if (rejected) {
      return RequestHeadParser.Result.REJECTED;
    }
    head.reset();
    int i = buf.readerIndex();
    int limit = buf.writerIndex();
    while (i < limit && (buf.getByte(i) == CR || buf.getByte(i) == LF)) {
      i++;
    }
    buf.readerIndex(i);
    for (int k = 0; k < PREFIX.length && i + k < limit; k++) {
      if (buf.getByte(i + k) != PREFIX[k]) {
        return reject();
      }
    }
    int base = i;
    int lf = FieldLines.findLineEnd(buf, base, limit, maxLineBytes);
    if (lf == FieldLines.INCOMPLETE) {
      return RequestHeadParser.Result.INCOMPLETE;
    }
    if (lf < 0 || !statusLine(buf, base, lf - 1)) {
      return reject();
    }
    int lineStart = lf + 1;
    int headerBytes = 0;
    boolean connection = false;
    while (true) {
      lf = line.scan(buf, lineStart, limit, maxHeaderBytes - headerBytes);
      if (lf == FieldLines.INCOMPLETE) {
        return RequestHeadParser.Result.INCOMPLETE;
      }
      if (lf < 0) {
        return reject();
      }
      int end = lf - 1;
      if (end == lineStart) {
        head.length = lf + 1 - base;
        break;
      }
      headerBytes += end - lineStart;
      byte first = buf.getByte(lineStart);
      if (first == Ascii.SP || first == Ascii.HT) {
        return reject(); // obs-fold
      }
      if (line.splitFails || !line.nameValid || !line.valueValid) {
        return reject();
      }
      int colon = line.colon;
      byte kind = FieldKind.of(buf, lineStart, colon);
      connection |= kind == FieldKind.CONNECTION;
      head.addField(
          lineStart - base, colon - base, line.valueStart - base, line.valueEnd - base, kind);
      lineStart = lf + 1;
    }
    if (!frame(buf, base, answersHead)) {
      return reject();
    }
    HopByHopFields.mark(
        head.fieldCount,
        head.kind,
        head.nameStart,
        head.nameEnd,
        head.valueStart,
        head.valueEnd,
        head.hop,
        buf,
        base,
        connection);
    return RequestHeadParser.Result.COMPLETE;
  }

  private RequestHeadParser.Result reject() {
    rejected = true;
    return RequestHeadParser.Result.REJECTED;
  }

  /** {@code HTTP/1.0} or {@code HTTP/1.1}, SP, three digits 100..599, then SP and a reason. */
  private boolean statusLine(ByteBuf buf, int start, int end) {
    if (end - start < 12
        || (buf.getByte(start + 7) != '0' && buf.getByte(start + 7) != '1')
        || buf.getByte(start + 8) != ' ') {
      return false;
    }
    int d0 = buf.getByte(start + 9) - '0';
    int d1 = buf.getByte(start + 10) - '0';
    int d2 = buf.getByte(start + 11) - '0';
    if (d0 < 1 || d0 > 5 || d1 < 0 || d1 > 9 || d2 < 0 || d2 > 9) {
      return false;
    }
    head.status = d0 * 100 + d1 * 10 + d2;
    head.minor = buf.getByte(start + 7) - '0';
    head.reasonStart = Math.min(start + 13, end) - start;
    head.reasonEnd = end - start;
    if (end > start + 12 && buf.getByte(start + 12) != ' ') {
      return false;
    }
    for (int i = start + 13; i < end; i++) {
      int b = buf.getByte(i) & 0xff;
      if ((b < 0x20 && b != Ascii.HT) || b == 0x7f) {
        return false;
      }
    }
    return head.status != 101 || switchAllowed;
  }

  private boolean frame(ByteBuf buf, int base, boolean answersHead) {
    Http1ResponseHead h = head;
    int lengthField = -1;
    int transfer = -1;
    for (int i = 0; i < h.fieldCount; i++) {
      if (h.kind[i] == FieldKind.CONTENT_LENGTH) {
        if (lengthField >= 0) {
          return false; // several Content-Length fields, in every version
        }
        lengthField = i;
      } else if (h.kind[i] == FieldKind.TRANSFER_ENCODING && transfer < 0) {
        transfer = i;
      }
    }
    long length = -1;
    if (lengthField >= 0) {
      length =
          RequestChecks.parseLength(
              buf, base + h.valueStart[lengthField], base + h.valueEnd[lengthField]);
      if (length < 0) {
        return false;
      }
    }
    if (transfer >= 0 && (h.minor == 0 || lengthField >= 0)) {
      return false;
    }
    int codings =
        transfer < 0
            ? TransferCodings.NOT_CHUNKED
            : TransferCodings.check(h.fieldCount, h.kind, h.valueStart, h.valueEnd, buf, base);
    if (codings == TransferCodings.INVALID) {
      return false; // chunked not last, or twice: no reader can tell where the body ends
    }
    if (h.status < 200 || h.status == 204 || h.status == 304 || answersHead) {
      h.framing = Http1ResponseHead.Framing.NONE;
    } else if (transfer >= 0) {
      h.framing =
          codings == TransferCodings.CHUNKED_LAST
              ? Http1ResponseHead.Framing.CHUNKED
              : Http1ResponseHead.Framing.UNTIL_CLOSE;
    } else if (length >= 0) {
      h.framing = Http1ResponseHead.Framing.LENGTH;
      h.contentLength = length;
    } else {
      h.framing = Http1ResponseHead.Framing.UNTIL_CLOSE;
    }
    return true;
  }
}
