package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;

/** The field names the proxy acts on, recognised once per field while a head is parsed. */
final class FieldKind {
  static final byte OTHER = 0;
  static final byte CONTENT_LENGTH = 1;
  static final byte TRANSFER_ENCODING = 2;
  static final byte HOST = 3;
  static final byte CONNECTION = 4;
  static final byte KEEP_ALIVE = 5;
  static final byte TE = 6;
  static final byte TRAILER = 7;
  static final byte UPGRADE = 8;
  static final byte PROXY_PREFIXED = 9;
  static final byte EXPECT = 10;
  static final byte X_FORWARDED_FOR = 11;
  static final byte X_FORWARDED_PROTO = 12;
  static final byte X_FORWARDED_HOST = 13;
  static final byte SEC_WEBSOCKET_KEY1 = 14;
  static final byte SEC_WEBSOCKET_KEY2 = 15;

  private FieldKind() {}

  /** The kind of the field named {@code buf[start, end)}; names compare ignoring case. */
  static byte of(ByteBuf buf, int start, int end) {
    switch (end - start) {
      case 2:
        return Ascii.equalsIgnoreCase(buf, start, end, "te") ? TE : OTHER;
      case 4:
        return Ascii.equalsIgnoreCase(buf, start, end, "host") ? HOST : OTHER;
      case 6:
        return Ascii.equalsIgnoreCase(buf, start, end, "expect") ? EXPECT : proxy(buf, start, end);
      case 7:
        if (Ascii.equalsIgnoreCase(buf, start, end, "trailer")) {
          return TRAILER;
        }
        return Ascii.equalsIgnoreCase(buf, start, end, "upgrade")
            ? UPGRADE
            : proxy(buf, start, end);
      case 10:
        if (Ascii.equalsIgnoreCase(buf, start, end, "connection")) {
          return CONNECTION;
        }
        return Ascii.equalsIgnoreCase(buf, start, end, "keep-alive")
            ? KEEP_ALIVE
            : proxy(buf, start, end);
      case 14:
        return Ascii.equalsIgnoreCase(buf, start, end, "content-length")
            ? CONTENT_LENGTH
            : proxy(buf, start, end);
      case 15:
        if (Ascii.equalsIgnoreCase(buf, start, end, "x-forwarded-for")) {
          return X_FORWARDED_FOR;
        }
        return proxy(buf, start, end);
      case 16:
        if (Ascii.equalsIgnoreCase(buf, start, end, "x-forwarded-host")) {
          return X_FORWARDED_HOST;
        }
        return proxy(buf, start, end);
      case 17:
        if (Ascii.equalsIgnoreCase(buf, start, end, "transfer-encoding")) {
          return TRANSFER_ENCODING;
        }
        if (Ascii.equalsIgnoreCase(buf, start, end, "x-forwarded-proto")) {
          return X_FORWARDED_PROTO;
        }
        return proxy(buf, start, end);
      case 18:
        if (Ascii.equalsIgnoreCase(buf, start, end, "sec-websocket-key1")) {
          return SEC_WEBSOCKET_KEY1;
        }
        if (Ascii.equalsIgnoreCase(buf, start, end, "sec-websocket-key2")) {
          return SEC_WEBSOCKET_KEY2;
        }
        return proxy(buf, start, end);
      default:
        return end - start > 6 ? proxy(buf, start, end) : OTHER;
    }
  }

  /** {@code Proxy-*} fields are hop-by-hop (as HAProxy and nginx treat them). */
  private static byte proxy(ByteBuf buf, int start, int end) {
    // The first byte decides for nearly every name: no region compare unless it is a P.
    return end - start > 6
            && (buf.getByte(start) | 0x20) == 'p'
            && Ascii.startsWithIgnoreCase(buf, start, end, "proxy-")
        ? PROXY_PREFIXED
        : OTHER;
  }

  /** Fields that concern one connection only (RFC 9110 §7.6.1). */
  static boolean isFixedHopByHop(byte kind) {
    return kind >= CONNECTION && kind <= PROXY_PREFIXED;
  }
}
