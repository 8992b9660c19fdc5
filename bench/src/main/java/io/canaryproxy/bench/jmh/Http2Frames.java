package io.canaryproxy.bench.jmh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * HTTP/2 frames as bytes, for {@link Http2PipelineBenchmark}'s client and backends: the frame types
 * and flags it uses (RFC 9113 §6), a frame header writer, and a reader of the frames one side
 * wrote.
 */
final class Http2Frames {
  static final int DATA = 0x0;
  static final int HEADERS = 0x1;
  static final int SETTINGS = 0x4;
  static final int PING = 0x6;
  static final int WINDOW_UPDATE = 0x8;
  static final int END_STREAM = 0x1;
  static final int ACK = 0x1;
  static final int END_HEADERS = 0x4;
  static final int FRAME_HEADER_BYTES = 9;
  static final byte[] PREFACE =
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);

  private Http2Frames() {}

  /**
   * Frames parsed from the bytes one side wrote, kept in one buffer allocated once: {@link #next}
   * steps to the next complete frame and sets its type, flags and stream.
   */
  static final class Reader {
    private final ByteBuf bytes = Unpooled.directBuffer(64 * 1024);
    private final byte[] body;
    int type;
    int flags;
    int stream;
    long pingData;

    /** Whether the frame is DATA whose payload is the body given at construction. */
    boolean bodyMatches;

    /**
     * Reads frames; {@link #bodyMatches} compares DATA payloads with {@code body} (may be null).
     */
    Reader(byte[] body) {
      this.body = body;
    }

    /** Appends (and releases) {@code written}. */
    void add(ByteBuf written) {
      bytes.writeBytes(written);
      written.release();
    }

    /** Skips {@code n} bytes once that many arrived. */
    boolean skip(int n) {
      if (bytes.readableBytes() < n) {
        return false;
      }
      bytes.skipBytes(n);
      return true;
    }

    boolean next() {
      if (bytes.readableBytes() < FRAME_HEADER_BYTES) {
        bytes.discardReadBytes();
        return false;
      }
      int start = bytes.readerIndex();
      int length = bytes.getUnsignedMedium(start);
      if (bytes.readableBytes() < FRAME_HEADER_BYTES + length) {
        bytes.discardReadBytes();
        return false;
      }
      type = bytes.getUnsignedByte(start + 3);
      flags = bytes.getUnsignedByte(start + 4);
      stream = bytes.getInt(start + 5) & Integer.MAX_VALUE;
      pingData = type == PING && length == 8 ? bytes.getLong(start + FRAME_HEADER_BYTES) : 0;
      bodyMatches = type == DATA && body != null && length == body.length;
      for (int i = 0; bodyMatches && i < length; i++) {
        bodyMatches = bytes.getByte(start + FRAME_HEADER_BYTES + i) == body[i];
      }
      bytes.skipBytes(FRAME_HEADER_BYTES + length);
      return true;
    }

    void release() {
      bytes.release();
    }
  }

  /** Writes a frame header (RFC 9113 §4.1) to {@code out}; returns {@code out}. */
  static ByteBuf frameHeader(ByteBuf out, int length, int type, int flags, int stream) {
    return out.writeMedium(length).writeByte(type).writeByte(flags).writeInt(stream);
  }
}
