package io.canaryproxy.http1;

import io.canaryproxy.config.LimitsConfig;
import io.canaryproxy.http1.Http1RequestHead.Framing;
import io.netty.buffer.ByteBuf;

/**
 * What is decided once a request head's lines are read, in the order the current request path
 * decides it: the framing (RFC 9112 §6; Netty's decoder), the proxy decoder's refusals (obs-fold,
 * bytes before the request line), then the request guard's (version, field count, CONNECT, Host,
 * transfer codings, declared length, Expect). Also marks the hop-by-hop fields (RFC 9110 §7.6.1).
 */
final class RequestChecks {
  private final int maxHeaders;
  private final long maxBodyBytes;

  RequestChecks(LimitsConfig limits) {
    this.maxHeaders = limits.maxHeaders();
    this.maxBodyBytes = limits.maxBodyBytes();
  }

  /** Returns the refusal, or null with the head's framing set; offsets are from {@code base}. */
  Rejection check(
      Http1RequestHead h,
      ByteBuf buf,
      int base,
      int lengthFields,
      boolean foldSeen,
      boolean leadingBytes) {
    int n = h.fieldCount;
    int firstLength = -1;
    int firstTransfer = -1;
    int transferFields = 0;
    int firstHost = -1;
    int hosts = 0;
    int firstExpect = -1;
    boolean key1 = false;
    boolean key2 = false;
    boolean connection = false;
    for (int i = 0; i < n; i++) {
      switch (h.kind[i]) {
        case FieldKind.CONTENT_LENGTH -> firstLength = firstLength < 0 ? i : firstLength;
        case FieldKind.TRANSFER_ENCODING -> {
          firstTransfer = firstTransfer < 0 ? i : firstTransfer;
          transferFields++;
        }
        case FieldKind.HOST -> {
          firstHost = firstHost < 0 ? i : firstHost;
          hosts++;
        }
        case FieldKind.EXPECT -> firstExpect = firstExpect < 0 ? i : firstExpect;
        case FieldKind.SEC_WEBSOCKET_KEY1 -> key1 = true;
        case FieldKind.SEC_WEBSOCKET_KEY2 -> key2 = true;
        case FieldKind.CONNECTION -> connection = true;
        default -> {}
      }
    }
    boolean http11 = h.major == 1 && h.minor == 1;
    boolean http10OrEarlier = h.major < 1 || (h.major == 1 && h.minor == 0);
    // Content-Length (RFC 9112 §6.3): one decimal value; a list or several fields are refused.
    long length = -1;
    if (firstLength >= 0) {
      int vs = base + h.valueStart[firstLength];
      int ve = base + h.valueEnd[firstLength];
      boolean several = lengthFields > 1 || Ascii.indexOf(buf, vs, ve, (byte) ',') >= 0;
      if (several && !http10OrEarlier) {
        return Rejection.SEVERAL_CONTENT_LENGTHS;
      }
      length = parseLength(buf, vs, ve);
      if (length < 0) {
        return Rejection.BAD_CONTENT_LENGTH;
      }
    }
    boolean webSocketKeys =
        key1
            && key2
            && Ascii.equalsIgnoreCase(buf, base + h.methodStart, base + h.methodEnd, "get")
            && buf.getByte(base + h.methodStart) == 'G'
            && buf.getByte(base + h.methodStart + 1) == 'E'
            && buf.getByte(base + h.methodStart + 2) == 'T';
    if (lengthFields > 1) {
      return Rejection.SEVERAL_CONTENT_LENGTHS; // in HTTP/1.0 too (server.LengthFields)
    }
    boolean chunked = false;
    if (firstTransfer >= 0) {
      if (!http11) {
        return Rejection.TRANSFER_ENCODING_NOT_HTTP11;
      }
      int codings = TransferCodings.check(n, h.kind, h.valueStart, h.valueEnd, buf, base);
      if (codings != TransferCodings.CHUNKED_LAST) {
        return Rejection.BAD_TRANSFER_ENCODING;
      }
      if (firstLength >= 0) {
        return Rejection.LENGTH_WITH_TRANSFER_ENCODING;
      }
      chunked = true;
    }
    if (foldSeen) {
      return Rejection.OBS_FOLD;
    }
    if (leadingBytes) {
      return Rejection.BYTES_BEFORE_REQUEST_LINE;
    }
    // The request guard's checks.
    if (h.major != 1 || h.minor > 1) {
      return Rejection.VERSION_NOT_SUPPORTED;
    }
    if (n > maxHeaders) {
      return Rejection.TOO_MANY_FIELDS;
    }
    if (h.methodEnd - h.methodStart == 7
        && buf.getByte(base + h.methodStart) == 'C'
        && Ascii.equalsIgnoreCase(buf, base + h.methodStart, base + h.methodEnd, "connect")
        && isUpperCase(buf, base + h.methodStart, base + h.methodEnd)) {
      return Rejection.CONNECT;
    }
    if (hosts > 1 || (hosts == 0 && h.minor == 1)) {
      return Rejection.HOST_COUNT;
    }
    if (hosts == 1
        && !HostValues.isValid(buf, base + h.valueStart[firstHost], base + h.valueEnd[firstHost])) {
      return Rejection.BAD_HOST;
    }
    if (chunked
        && (transferFields > 1
            || !Ascii.equalsIgnoreCase(
                buf,
                base + h.valueStart[firstTransfer],
                trimEnd(buf, base + h.valueStart[firstTransfer], base + h.valueEnd[firstTransfer]),
                "chunked"))) {
      return Rejection.CODING_NOT_IMPLEMENTED;
    }
    long declared = length >= 0 ? length : webSocketKeys ? 8 : -1;
    if (declared > maxBodyBytes) {
      return Rejection.BODY_TOO_LARGE;
    }
    if (firstExpect >= 0
        && !Ascii.equalsIgnoreCase(
            buf,
            base + h.valueStart[firstExpect],
            base + h.valueEnd[firstExpect],
            "100-continue")) {
      return Rejection.EXPECTATION;
    }
    if (chunked) {
      h.framing = Framing.CHUNKED;
    } else if (length >= 0) {
      h.framing = Framing.LENGTH;
      h.contentLength = length;
    } else if (webSocketKeys) {
      h.framing = Framing.LENGTH;
      h.contentLength = 8;
      h.lengthImplied = true;
    }
    h.expectsContinue = h.minor == 1 && firstExpect >= 0 && anyContinue(h, buf, base);
    HopByHopFields.mark(h, buf, base, connection);
    return null;
  }

  /**
   * A Content-Length value: decimal digits, at least one, within a long; -1 otherwise (a sign, a
   * list, hex or an overflow are refused: RFC 9110 §8.6).
   */
  static long parseLength(ByteBuf buf, int start, int end) {
    if (start == end) {
      return -1;
    }
    long v = 0;
    for (int i = start; i < end; i++) {
      int b = buf.getByte(i);
      if (!Ascii.isDigit(b)) {
        return -1;
      }
      int d = b - '0';
      if (v > (Long.MAX_VALUE - d) / 10) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  private static boolean isUpperCase(ByteBuf buf, int start, int end) {
    for (int i = start; i < end; i++) {
      byte b = buf.getByte(i);
      if (b >= 'a' && b <= 'z') {
        return false;
      }
    }
    return true;
  }

  /** The end of {@code [start, end)} without trailing bytes up to SP (Java's {@code trim}). */
  private static int trimEnd(ByteBuf buf, int start, int end) {
    while (end > start && (buf.getByte(end - 1) & 0xff) <= 0x20) {
      end--;
    }
    return end;
  }

  private static boolean anyContinue(Http1RequestHead h, ByteBuf buf, int base) {
    for (int i = 0; i < h.fieldCount; i++) {
      if (h.kind[i] == FieldKind.EXPECT
          && Ascii.equalsIgnoreCase(
              buf, base + h.valueStart[i], base + h.valueEnd[i], "100-continue")) {
        return true;
      }
    }
    return false;
  }
}
