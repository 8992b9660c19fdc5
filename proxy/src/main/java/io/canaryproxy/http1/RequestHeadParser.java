package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.canaryproxy.config.LimitsConfig;
import io.netty.buffer.ByteBuf;

/**
 * Parses HTTP/1.1 request heads in place, one after the other on one connection. Call {@link
 * #parse} with the receive buffer whenever bytes arrive; its reader index must stay at the head's
 * first byte until the head is complete (append only: a cumulation, as Netty's {@code
 * ByteToMessageDecoder} keeps one). Empty lines before a request line are consumed by advancing the
 * reader index. On {@link Result#COMPLETE} the head is {@code head().length()} bytes from the
 * reader index; the caller consumes them and the body before it calls {@code parse} again.
 *
 * <p>The checks are those of the proxy's current request path, Netty's {@code HttpRequestDecoder}
 * with the proxy's decoder and guard ({@code server.ProxyRequestDecoder}, {@code
 * server.RequestGuardHandler}), in the same order, so the same bytes get the same status: the
 * README's table of rejections. A line over its limit is judged on the bytes received so far, as
 * Netty's decoder judges it. Allocation: none per head once the field arrays fit the connection's
 * largest head.
 */
public final class RequestHeadParser {
  /** What a {@link #parse} call found. */
  public enum Result {
    /** More bytes are needed. */
    INCOMPLETE,
    /** A head is complete and valid: see {@link #head()}. */
    COMPLETE,
    /** The bytes are refused: see {@link #rejection()}; the connection is to be closed. */
    REJECTED
  }

  private enum Phase {
    SKIP,
    LINE,
    FIELDS,
    DONE,
    REJECTED
  }

  private final int maxLineBytes;
  private final int maxHeaderBytes;
  private final RequestChecks checks;
  private final Http1RequestHead head = new Http1RequestHead();
  private final FieldLine line = new FieldLine();

  private Phase phase = Phase.SKIP;
  private Rejection rejection;

  // What ProxyRequestDecoder notes before the request line (RFC 9112 §2.2).
  private boolean lineStarted;
  private boolean pendingCr;
  private boolean leadingBytes;

  private boolean foldSeen;
  private int lineStart;
  private int headerSize;
  private int lengthFields;

  // The field line read last: checked once the next line is read, as Netty adds it then.
  private boolean pending;
  private int pendNameStart;
  private int pendNameEnd;
  private int pendValueStart;
  private int pendValueEnd;
  private int pendLineEnd;
  private boolean pendFolded;
  private boolean pendFoldValid;
  private boolean pendNameValid;
  private boolean pendValueValid;

  public RequestHeadParser(LimitsConfig limits) {
    this.maxLineBytes = limits.maxRequestLineBytes();
    this.maxHeaderBytes = limits.maxHeaderBytes();
    this.checks = new RequestChecks(limits);
  }

  /** The head found by the last {@link Result#COMPLETE}; reused for the next head. */
  public Http1RequestHead head() {
    return head;
  }

  /** Why the bytes were refused, after {@link Result#REJECTED}. */
  public Rejection rejection() {
    return rejection;
  }

  /** Parses what {@code buf} holds from its reader index; see the class comment. */
  public Result parse(ByteBuf buf) {
    if (phase == Phase.REJECTED) {
      return Result.REJECTED;
    }
    if (phase == Phase.DONE) {
      startNextHead();
    }
    if (!buf.isReadable()) {
      return Result.INCOMPLETE;
    }
    if (phase == Phase.SKIP) {
      if (!lineStarted) {
        noteBytesBeforeLine(buf);
      }
      Result r = skipEmptyLines(buf);
      if (r != null) {
        return r;
      }
    }
    int base = buf.readerIndex();
    int limit = buf.writerIndex();
    if (phase == Phase.LINE) {
      int lf = FieldLines.findLineEnd(buf, base, limit, maxLineBytes);
      if (lf < 0) {
        return lineProblem(lf, Rejection.LINE_TOO_LONG);
      }
      Rejection bad = requestLine(buf, base, lf - 1);
      if (bad != null) {
        return reject(bad);
      }
      lineStart = lf + 1 - base;
      phase = Phase.FIELDS;
    }
    while (true) {
      int ls = base + lineStart;
      // One pass finds the line's end, its colon, and whether its name and value are valid.
      int lf = line.scan(buf, ls, limit, maxHeaderBytes - headerSize);
      if (lf < 0) {
        return lineProblem(lf, Rejection.HEADERS_TOO_LARGE);
      }
      int end = lf - 1;
      lineStart = lf + 1 - base;
      if (end == ls) {
        return endOfHead(buf, base);
      }
      headerSize += end - ls;
      byte first = buf.getByte(ls);
      if (first == Ascii.SP || first == Ascii.HT) {
        foldSeen = true; // ProxyRequestDecoder's check: any field line so started
      }
      if (pending && (first == Ascii.SP || first == Ascii.HT)) {
        // obs-fold: Netty joins the line to the value before it (and the request is refused).
        pendFoldValid &=
            FieldLines.foldKeepsValueValid(buf, ls, end, pendValueStart == pendValueEnd);
        pendFolded = true;
        pendLineEnd = lineStart;
        continue;
      }
      if (pending && !addPending(buf, base)) {
        return Result.REJECTED;
      }
      if (line.splitFails) {
        return reject(Rejection.BAD_FIELD_LINE);
      }
      int colon = line.colon;
      pending = true;
      pendNameStart = ls - base;
      pendNameEnd = colon - base;
      pendValueStart = line.valueStart - base;
      pendValueEnd = line.valueEnd - base;
      pendLineEnd = lineStart;
      pendFolded = false;
      pendFoldValid = true;
      pendNameValid = line.nameValid;
      pendValueValid = line.valueValid;
      if (colon - ls == 14 && Ascii.equalsIgnoreCase(buf, ls, colon, "content-length")) {
        lengthFields++;
      }
    }
  }

  private void startNextHead() {
    phase = Phase.SKIP;
    head.reset();
    lineStarted = false;
    leadingBytes = false;
    foldSeen = false;
    headerSize = 0;
    lengthFields = 0;
    pending = false;
  }

  private Result lineProblem(int code, Rejection tooLong) {
    if (code == FieldLines.INCOMPLETE) {
      return Result.INCOMPLETE;
    }
    return reject(code == FieldLines.TOO_LONG ? tooLong : Rejection.BARE_LF);
  }

  private Result reject(Rejection r) {
    rejection = r;
    phase = Phase.REJECTED;
    return Result.REJECTED;
  }

  /**
   * Skips the empty lines a server should ignore before a request line (RFC 9112 §2.2), as Netty
   * does: every CR and LF, at most one line's worth per call. Returns null once the request line
   * has started.
   */
  private Result skipEmptyLines(ByteBuf buf) {
    int from = buf.readerIndex();
    int readable = buf.readableBytes();
    int scanEnd = from + Math.min(maxLineBytes, readable);
    int i = from;
    while (i < scanEnd) {
      byte b = buf.getByte(i);
      if (b != CR && b != LF) {
        break;
      }
      i++;
    }
    buf.readerIndex(i);
    if (i == scanEnd) {
      return readable > maxLineBytes ? reject(Rejection.LINE_TOO_LONG) : Result.INCOMPLETE;
    }
    int b = buf.getByte(i) & 0xff;
    if (b < 0x20 || (b >= 0x7f && b <= 0x9f)) {
      return reject(Rejection.BYTES_BEFORE_REQUEST_LINE);
    }
    phase = Phase.LINE;
    return null;
  }

  /**
   * Notes anything but CRLF pairs before the request line: whitespace, a control byte, a bare CR or
   * LF, an 8-bit byte. Such a request is refused once read (HAProxy refuses it too). A CR at the
   * end of the bytes received is paired with the next byte to come.
   */
  private void noteBytesBeforeLine(ByteBuf buf) {
    int i = buf.readerIndex();
    int end = buf.writerIndex();
    if (pendingCr && i < end) {
      pendingCr = false;
      if (buf.getByte(i) == LF) {
        i++;
      }
    }
    while (i < end) {
      byte b = buf.getByte(i);
      if (b == CR) {
        if (i + 1 == end) {
          pendingCr = true;
          return;
        }
        if (buf.getByte(i + 1) == LF) {
          i += 2;
          continue;
        }
      }
      lineStarted = true;
      leadingBytes = b <= ' ' || b == 0x7f; // signed: 8-bit bytes count as well
      return;
    }
  }

  /** Splits and checks the request line {@code [start, end)}; RFC 9112 §3. */
  private Rejection requestLine(ByteBuf buf, int start, int end) {
    int base = start;
    if ((buf.getByte(end - 1) & 0xff) <= 0x20) {
      return Rejection.BAD_REQUEST_LINE;
    }
    int aStart = nonSeparator(buf, start, end);
    int aEnd = separator(buf, Math.max(aStart, 0), end);
    int bStart = nonSeparator(buf, aEnd, end);
    int bEnd = separator(buf, Math.max(bStart, 0), end);
    int cStart = nonSeparator(buf, bEnd, end);
    if (aStart < 0 || bStart < 0 || cStart < 0) {
      return Rejection.BAD_REQUEST_LINE;
    }
    if (aStart == aEnd) {
      return Rejection.BAD_METHOD;
    }
    for (int i = aStart; i < aEnd; i++) {
      if (!Ascii.isTchar(buf.getByte(i))) {
        return Rejection.BAD_METHOD;
      }
    }
    if (bStart == bEnd) {
      return Rejection.BAD_TARGET;
    }
    for (int i = bStart; i < bEnd; i++) {
      int b = buf.getByte(i) & 0xff;
      if (b <= 0x20 || b >= 0x7f) {
        return Rejection.BAD_TARGET;
      }
    }
    if (end - cStart != 8
        || !Ascii.equalsIgnoreCase(buf, cStart, cStart + 5, "http/")
        || buf.getByte(cStart) != 'H'
        || buf.getByte(cStart + 1) != 'T'
        || buf.getByte(cStart + 2) != 'T'
        || buf.getByte(cStart + 3) != 'P'
        || !Ascii.isDigit(buf.getByte(cStart + 5))
        || buf.getByte(cStart + 6) != '.'
        || !Ascii.isDigit(buf.getByte(cStart + 7))) {
      return Rejection.BAD_VERSION;
    }
    head.methodStart = aStart - base;
    head.methodEnd = aEnd - base;
    head.targetStart = bStart - base;
    head.targetEnd = bEnd - base;
    head.major = buf.getByte(cStart + 5) - '0';
    head.minor = buf.getByte(cStart + 7) - '0';
    return null;
  }

  /** The first byte at or after {@code from} that is no separator; -1 for a stray whitespace. */
  private static int nonSeparator(ByteBuf buf, int from, int end) {
    if (from < 0) {
      return -1;
    }
    for (int i = from; i < end; i++) {
      int b = buf.getByte(i);
      if (Ascii.isLineSeparator(b)) {
        continue;
      }
      return Ascii.isJavaWhitespace(b) ? -1 : i;
    }
    return end;
  }

  private static int separator(ByteBuf buf, int from, int end) {
    for (int i = from; i < end; i++) {
      if (Ascii.isLineSeparator(buf.getByte(i))) {
        return i;
      }
    }
    return end;
  }

  /** Checks and records the pending field, as Netty's header map checks a field it adds. */
  private boolean addPending(ByteBuf buf, int base) {
    pending = false;
    int ns = base + pendNameStart;
    int ne = base + pendNameEnd;
    if (!pendNameValid) {
      reject(Rejection.BAD_FIELD_NAME);
      return false;
    }
    if (!pendValueValid || (pendFolded && !pendFoldValid)) {
      reject(Rejection.BAD_FIELD_VALUE);
      return false;
    }
    head.addField(
        pendNameStart,
        pendNameEnd,
        pendValueStart,
        pendValueEnd,
        pendLineEnd,
        FieldKind.of(buf, ns, ne));
    return true;
  }

  private Result endOfHead(ByteBuf buf, int base) {
    if (pending && !addPending(buf, base)) {
      return Result.REJECTED;
    }
    head.length = lineStart;
    head.headerBytes = headerSize;
    Rejection bad = checks.check(head, buf, base, lengthFields, foldSeen, leadingBytes);
    if (bad != null) {
      return reject(bad);
    }
    phase = Phase.DONE;
    return Result.COMPLETE;
  }
}
