package io.canaryproxy.http1;

import java.util.Arrays;

/**
 * A parsed response head as offsets from its first byte (the status line) into the bytes it was
 * read from. Reused by its parser for every response of a backend connection.
 */
public final class Http1ResponseHead {
  /** How the body after the head is delimited (RFC 9112 §6.3). */
  public enum Framing {
    /** No body: 1xx, 204, 304, or the answer to a HEAD. */
    NONE,
    /** {@link #contentLength()} bytes. */
    LENGTH,
    /** A chunked body. */
    CHUNKED,
    /** Until the backend closes the connection (which cannot then be reused). */
    UNTIL_CLOSE
  }

  int status;
  int minor;
  int reasonStart;
  int reasonEnd;
  int fieldCount;
  int[] nameStart = new int[16];
  int[] nameEnd = new int[16];
  int[] valueStart = new int[16];
  int[] valueEnd = new int[16];
  byte[] kind = new byte[16];
  byte[] hop = new byte[16];
  int length;
  Framing framing = Framing.NONE;
  long contentLength = -1;

  void reset() {
    fieldCount = 0;
    length = 0;
    framing = Framing.NONE;
    contentLength = -1;
  }

  void addField(int ns, int ne, int vs, int ve, byte k) {
    int i = fieldCount;
    if (i == nameStart.length) {
      int n = i * 2;
      nameStart = Arrays.copyOf(nameStart, n);
      nameEnd = Arrays.copyOf(nameEnd, n);
      valueStart = Arrays.copyOf(valueStart, n);
      valueEnd = Arrays.copyOf(valueEnd, n);
      kind = Arrays.copyOf(kind, n);
      hop = Arrays.copyOf(hop, n);
    }
    nameStart[i] = ns;
    nameEnd[i] = ne;
    valueStart[i] = vs;
    valueEnd[i] = ve;
    kind[i] = k;
    hop[i] = Http1RequestHead.HOP_KEEP;
    fieldCount = i + 1;
  }

  /** The status code, 100..599. */
  public int status() {
    return status;
  }

  /** An interim response (1xx): another head follows on the connection. */
  public boolean interim() {
    return status < 200;
  }

  public int minorVersion() {
    return minor;
  }

  public int reasonStart() {
    return reasonStart;
  }

  public int reasonEnd() {
    return reasonEnd;
  }

  /** Bytes from the status line to the end of the blank line. */
  public int length() {
    return length;
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

  public int valueStart(int i) {
    return valueStart[i];
  }

  public int valueEnd(int i) {
    return valueEnd[i];
  }

  /** {@link Http1RequestHead#HOP_KEEP} or {@link Http1RequestHead#HOP_ALWAYS}. */
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
}
