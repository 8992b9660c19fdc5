package io.canaryproxy.server;

import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.AsciiString;

/**
 * Counts the {@code Content-Length} fields of the message a decoder is reading. Netty's decoder
 * rejects several of them in HTTP/1.1 but, for HTTP/1.0, keeps the first and drops the others
 * before anyone can see them; two readers of such a message can then disagree on where its body
 * ends (RFC 9112 §6.3). Here several fail the message in any version.
 */
final class LengthFields {
  private int count;

  /** A new message starts. */
  void reset() {
    count = 0;
  }

  /** Counts {@code name} if it is Content-Length; returns it. */
  AsciiString count(AsciiString name) {
    if (name.length() == HttpHeaderNames.CONTENT_LENGTH.length()
        && name.contentEqualsIgnoreCase(HttpHeaderNames.CONTENT_LENGTH)) {
      count++;
    }
    return name;
  }

  /** Throws when the head had more than one Content-Length field. */
  void check() {
    if (count > 1) {
      throw new IllegalArgumentException("more than one Content-Length field");
    }
  }
}
