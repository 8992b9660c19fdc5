package io.canaryproxy.server.http2;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;

/**
 * A deliberately small HTTP/2 client for abuse tests: it writes frames as given (RFC 9113 §4.1) on
 * a real socket, with header blocks in HPACK literals (RFC 7541 §6.2.2, no Huffman), and reads
 * frames back until it finds the one it waits for.
 */
final class RawH2Client implements AutoCloseable {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int RST_STREAM = 0x3;
  static final int SETTINGS = 0x4;
  static final int PING = 0x6;
  static final int GOAWAY = 0x7;
  static final int WINDOW_UPDATE = 0x8;
  static final int CONTINUATION = 0x9;

  static final int END_STREAM = 0x1;
  static final int END_HEADERS = 0x4;

  /** A frame read back. */
  record Frame(int type, int flags, int stream, byte[] payload) {
    /** The error code of a GOAWAY or RST_STREAM frame. */
    long errorCode() {
      int at = type == GOAWAY ? 4 : 0;
      return ((payload[at] & 0xffL) << 24)
          | ((payload[at + 1] & 0xff) << 16)
          | ((payload[at + 2] & 0xff) << 8)
          | (payload[at + 3] & 0xff);
    }
  }

  private final Socket socket;
  private final OutputStream out;
  private final DataInputStream in;

  /** Connects and sends the preface and an empty SETTINGS frame. */
  RawH2Client(int port, int receiveBufferBytes) throws IOException {
    socket = new Socket();
    if (receiveBufferBytes > 0) {
      socket.setReceiveBufferSize(receiveBufferBytes);
    }
    socket.connect(new java.net.InetSocketAddress("127.0.0.1", port));
    socket.setSoTimeout(30_000);
    out = new java.io.BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    in = new DataInputStream(socket.getInputStream());
    out.write("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    frame(SETTINGS, 0, 0, new byte[0]);
  }

  RawH2Client(int port) throws IOException {
    this(port, 0);
  }

  /** Writes one frame. */
  void frame(int type, int flags, int stream, byte[] payload) throws IOException {
    byte[] f = new byte[9 + payload.length];
    f[0] = (byte) (payload.length >>> 16);
    f[1] = (byte) (payload.length >>> 8);
    f[2] = (byte) payload.length;
    f[3] = (byte) type;
    f[4] = (byte) flags;
    f[5] = (byte) (stream >>> 24 & 0x7f);
    f[6] = (byte) (stream >>> 16);
    f[7] = (byte) (stream >>> 8);
    f[8] = (byte) stream;
    System.arraycopy(payload, 0, f, 9, payload.length);
    out.write(f);
  }

  /** A header block for {@code method path} with the extra {@code fields} (name, value pairs). */
  static byte[] requestBlock(String method, String path, String... fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    literal(b, ":method", method);
    literal(b, ":scheme", "http");
    literal(b, ":path", path);
    literal(b, ":authority", "127.0.0.1");
    for (int i = 0; i + 1 < fields.length; i += 2) {
      literal(b, fields[i], fields[i + 1]);
    }
    return b.toByteArray();
  }

  /**
   * A header block of exactly {@code fields} (name, value pairs, pseudo-header fields included, in
   * the order given), as literals: what a hostile peer may send, valid or not.
   */
  static byte[] block(String... fields) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (int i = 0; i + 1 < fields.length; i += 2) {
      literal(b, fields[i], fields[i + 1]);
    }
    return b.toByteArray();
  }

  /** A literal header field without indexing, new name (RFC 7541 §6.2.2). */
  private static void literal(ByteArrayOutputStream b, String name, String value) {
    b.write(0);
    string(b, name.getBytes(StandardCharsets.US_ASCII));
    string(b, value.getBytes(StandardCharsets.US_ASCII));
  }

  private static void string(ByteArrayOutputStream b, byte[] s) {
    integer(b, s.length);
    b.write(s, 0, s.length);
  }

  /** An HPACK integer with a 7-bit prefix (RFC 7541 §5.1), the Huffman bit clear. */
  private static void integer(ByteArrayOutputStream b, int n) {
    if (n < 127) {
      b.write(n);
      return;
    }
    b.write(127);
    n -= 127;
    while (n >= 128) {
      b.write((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    b.write(n);
  }

  static byte[] int32(long v) {
    return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
  }

  void flush() throws IOException {
    out.flush();
  }

  /** Reads one frame; null at end of stream. */
  Frame read() throws IOException {
    byte[] h = new byte[9];
    try {
      in.readFully(h);
    } catch (EOFException e) {
      return null;
    }
    int len = (h[0] & 0xff) << 16 | (h[1] & 0xff) << 8 | (h[2] & 0xff);
    int stream = (h[5] & 0x7f) << 24 | (h[6] & 0xff) << 16 | (h[7] & 0xff) << 8 | (h[8] & 0xff);
    byte[] payload = new byte[len];
    in.readFully(payload);
    return new Frame(h[3] & 0xff, h[4] & 0xff, stream, payload);
  }

  /**
   * Reads until a frame of {@code type} (on {@code stream}, or any stream when negative) arrives,
   * and returns it; null when the connection ended first.
   */
  Frame await(int type, int stream) throws IOException {
    try {
      Frame f;
      while ((f = read()) != null) {
        if (f.type() == type && (stream < 0 || f.stream() == stream)) {
          return f;
        }
      }
    } catch (SocketTimeoutException e) {
      throw new AssertionError("no frame of type " + type + " within the read timeout", e);
    } catch (java.net.SocketException e) {
      return null; // reset by the peer after its GOAWAY
    }
    return null;
  }

  /** True once the peer closed the connection (reads to the end). */
  boolean closedByPeer() throws IOException {
    try {
      while (read() != null) {
        // drain
      }
      return true;
    } catch (java.net.SocketException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
