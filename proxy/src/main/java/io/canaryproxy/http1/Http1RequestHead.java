package io.canaryproxy.http1;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A parsed request head as offsets into the bytes it was read from: nothing is copied. Offsets are
 * relative to the head's first byte (the request line), so they stay valid when the receive buffer
 * is reallocated or the head is sliced out of it. One instance is reused by its parser for every
 * head of a connection; read it before the next {@code parse} call.
 */
public final class Http1RequestHead {
  /** How the body that follows the head is delimited (RFC 9112 §6.3). */
  public enum Framing {
    /** No body. */
    NONE,
    /** {@link #contentLength()} bytes follow (possibly 0). */
    LENGTH,
    /** A chunked body follows; see {@link ChunkedBodyValidator}. */
    CHUNKED
  }

  int methodStart;
  int methodEnd;
  int targetStart;
  int targetEnd;
  int major;
  int minor;
  int fieldCount;
  int[] nameStart = new int[16];
  int[] nameEnd = new int[16];
  int[] valueStart = new int[16];
  int[] valueEnd = new int[16];
  int[] lineEnd = new int[16];
  byte[] kind = new byte[16];
  byte[] hop = new byte[16];
  int length;
  int headerBytes;
  Framing framing = Framing.NONE;
  long contentLength = -1;
  boolean lengthImplied;
  boolean expectsContinue;

  void reset() {
    fieldCount = 0;
    length = 0;
    headerBytes = 0;
    framing = Framing.NONE;
    contentLength = -1;
    lengthImplied = false;
    expectsContinue = false;
  }

  int addField(int ns, int ne, int vs, int ve, int le, byte k) {
    int i = fieldCount;
    if (i == nameStart.length) {
      int n = i * 2;
      nameStart = Arrays.copyOf(nameStart, n);
      nameEnd = Arrays.copyOf(nameEnd, n);
      valueStart = Arrays.copyOf(valueStart, n);
      valueEnd = Arrays.copyOf(valueEnd, n);
      lineEnd = Arrays.copyOf(lineEnd, n);
      kind = Arrays.copyOf(kind, n);
      hop = Arrays.copyOf(hop, n);
    }
    nameStart[i] = ns;
    nameEnd[i] = ne;
    valueStart[i] = vs;
    valueEnd[i] = ve;
    lineEnd[i] = le;
    kind[i] = k;
    hop[i] = HOP_KEEP;
    fieldCount = i + 1;
    return i;
  }

  /** {@link #hopByHop}: an end-to-end field. */
  public static final byte HOP_KEEP = 0;

  /** {@link #hopByHop}: a field for one connection only, never forwarded. */
  public static final byte HOP_ALWAYS = 1;

  /**
   * {@link #hopByHop}: a field that {@code Connection} names; not forwarded unless the proxy itself
   * reads it (a routing header), which {@code Connection} may not take away.
   */
  public static final byte HOP_NAMED = 2;

  /** Bytes from the request line to the end of the blank line that ends the head. */
  public int length() {
    return length;
  }

  /** Header bytes as the limit counts them (field lines without their CRLF). */
  public int headerBytes() {
    return headerBytes;
  }

  public int methodStart() {
    return methodStart;
  }

  public int methodEnd() {
    return methodEnd;
  }

  public int targetStart() {
    return targetStart;
  }

  public int targetEnd() {
    return targetEnd;
  }

  /** The minor version: 0 or 1 (the major is always 1 in an accepted head). */
  public int minorVersion() {
    return minor;
  }

  public int fieldCount() {
    return fieldCount;
  }

  public int nameStart(int i) {
    return nameStart[i];
  }

  public int nameEnd(int i) {
    return nameEnd[i];
  }

  /** Start of field {@code i}'s value, leading OWS excluded. */
  public int valueStart(int i) {
    return valueStart[i];
  }

  /** End of field {@code i}'s value, trailing OWS excluded. */
  public int valueEnd(int i) {
    return valueEnd[i];
  }

  /** {@link #HOP_KEEP}, {@link #HOP_ALWAYS} or {@link #HOP_NAMED}. */
  public byte hopByHop(int i) {
    return hop[i];
  }

  public Framing framing() {
    return framing;
  }

  /** The body length for {@link Framing#LENGTH}, else -1. */
  public long contentLength() {
    return contentLength;
  }

  /**
   * True when the length comes from no {@code Content-Length} field: a legacy WebSocket handshake
   * (a GET with {@code Sec-WebSocket-Key1} and {@code -Key2}) has an 8-byte body, as Netty reads
   * it.
   */
  public boolean lengthImplied() {
    return lengthImplied;
  }

  /** An HTTP/1.1 request with {@code Expect: 100-continue}, which the proxy answers itself. */
  public boolean expectsContinue() {
    return expectsContinue;
  }

  /** Test and log helper: the bytes {@code [start, end)} of {@code head} as a string. */
  public static String text(ByteBuf head, int start, int end) {
    return head.toString(head.readerIndex() + start, end - start, StandardCharsets.ISO_8859_1);
  }

  byte kind(int i) {
    return kind[i];
  }

  /** End of field {@code i}'s line, its CRLF included (where the next line starts). */
  public int lineEnd(int i) {
    return lineEnd[i];
  }
}
