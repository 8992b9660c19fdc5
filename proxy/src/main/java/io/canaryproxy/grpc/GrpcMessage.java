package io.canaryproxy.grpc;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The {@code grpc-message} field: UTF-8 text, percent-encoded so that it is printable ASCII. Every
 * byte outside 0x20..0x7E, and {@code %} itself, is written as {@code %XX} with upper-case hex
 * (gRPC over HTTP/2, "Responses").
 */
public final class GrpcMessage {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private GrpcMessage() {}

  /** {@code text} encoded for the field. */
  public static String encode(String text) {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length + 8);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (c >= 0x20 && c <= 0x7E && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  /**
   * The text a field value stands for. A {@code %} not followed by two hex digits is kept as it is,
   * as gRPC clients do, and invalid UTF-8 becomes U+FFFD.
   */
  public static String decode(CharSequence value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length());
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c == '%' && i + 2 < value.length()) {
        int hi = Character.digit(value.charAt(i + 1), 16);
        int lo = Character.digit(value.charAt(i + 2), 16);
        if (hi >= 0 && lo >= 0) {
          out.write(hi << 4 | lo);
          i += 2;
          continue;
        }
      }
      if (c < 0x80) {
        out.write(c);
      } else {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        out.write(b, 0, b.length);
      }
    }
    return out.toString(StandardCharsets.UTF_8);
  }
}
