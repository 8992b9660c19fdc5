package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a backend's chunked response body (RFC 9112 §7.1) in place, over the bytes a decoder has
 * accumulated: chunk data is reported as runs the caller slices, never copied; a size or trailer
 * line is read only once it is complete (the caller keeps the bytes until then). The checks are
 * those of Netty's decoder on the old path, made strict where it repaired: the data must end in
 * CRLF, a trailer line is {@code name: value} without obs-fold. Trailer fields are kept as strings
 * (rare) except {@code Content-Length}, {@code Transfer-Encoding} and {@code Trailer}, which Netty
 * dropped too.
 */
public final class ChunkedResponseReader {
  /** {@link #next}: more bytes are needed. */
  public static final int NEED_MORE = -1;

  /** {@link #next}: the body ended (last chunk, trailers, blank line); see {@link #trailers()}. */
  public static final int DONE = -2;

  /** {@link #next}: the body is malformed; the connection cannot be read further. */
  public static final int BAD = -3;

  private static final int SIZE = 0;
  private static final int DATA = 1;
  private static final int DATA_END = 2;
  private static final int TRAILER = 3;

  private final int maxLineBytes;
  private final int maxTrailerBytes;
  private final int[] split = new int[3];
  private int step;
  private long remaining;
  private int trailerBytes;
  private List<String> trailers;

  /**
   * @param maxLineBytes longest chunk-size line, CRLF excluded
   * @param maxTrailerBytes largest trailer section, CRLFs excluded
   */
  public ChunkedResponseReader(int maxLineBytes, int maxTrailerBytes) {
    this.maxLineBytes = maxLineBytes;
    this.maxTrailerBytes = maxTrailerBytes;
  }

  /** A new body starts. */
  public void start() {
    step = SIZE;
    remaining = 0;
    trailerBytes = 0;
    trailers = null;
  }

  /**
   * The trailer fields of the body that ended, as name, value pairs; {@code null} when it had none.
   */
  public List<String> trailers() {
    return trailers;
  }

  /**
   * Reads from {@code in}'s reader index, which it moves past the framing it consumed. Returns a
   * positive count when that many bytes at the (new) reader index are chunk data, which the caller
   * takes and skips; else {@link #NEED_MORE}, {@link #DONE} or {@link #BAD}.
   */
  public int next(ByteBuf in) {
    while (true) {
      int r = in.readerIndex();
      int w = in.writerIndex();
      switch (step) {
        case DATA -> {
          int take = (int) Math.min(remaining, w - r);
          if (take == 0) {
            return NEED_MORE;
          }
          remaining -= take;
          if (remaining == 0) {
            step = DATA_END;
          }
          return take;
        }
        case DATA_END -> {
          if (w - r < 2) {
            return NEED_MORE;
          }
          if (in.getByte(r) != CR || in.getByte(r + 1) != LF) {
            return BAD;
          }
          in.skipBytes(2);
          step = SIZE;
        }
        case SIZE -> {
          int lf = FieldLines.findLineEnd(in, r, w, maxLineBytes);
          if (lf == FieldLines.INCOMPLETE) {
            return NEED_MORE;
          }
          if (lf < 0) {
            return BAD;
          }
          long size = ChunkLines.size(in, r, lf - 1);
          if (size < 0) {
            return BAD;
          }
          in.readerIndex(lf + 1);
          if (size == 0) {
            step = TRAILER;
          } else {
            remaining = size;
            step = DATA;
          }
        }
        default -> {
          int lf = FieldLines.findLineEnd(in, r, w, maxTrailerBytes - trailerBytes);
          if (lf == FieldLines.INCOMPLETE) {
            return NEED_MORE;
          }
          if (lf < 0) {
            return BAD;
          }
          int end = lf - 1;
          if (end == r) {
            in.readerIndex(lf + 1);
            step = SIZE;
            return DONE;
          }
          if (!trailerLine(in, r, end)) {
            return BAD;
          }
          trailerBytes += end - r;
          in.readerIndex(lf + 1);
        }
      }
    }
  }

  private boolean trailerLine(ByteBuf in, int start, int end) {
    byte first = in.getByte(start);
    if (first == Ascii.SP
        || first == Ascii.HT
        || !FieldLines.split(in, start, end, split)
        || !FieldLines.isValidName(in, start, split[0])
        || !FieldLines.isValidValue(in, split[1], split[2])) {
      return false;
    }
    int nameEnd = split[0];
    if (Ascii.equalsIgnoreCase(in, start, nameEnd, "content-length")
        || Ascii.equalsIgnoreCase(in, start, nameEnd, "transfer-encoding")
        || Ascii.equalsIgnoreCase(in, start, nameEnd, "trailer")) {
      return true;
    }
    if (trailers == null) {
      trailers = new ArrayList<>(4);
    }
    trailers.add(in.toString(start, nameEnd - start, java.nio.charset.StandardCharsets.ISO_8859_1));
    trailers.add(
        in.toString(split[1], split[2] - split[1], java.nio.charset.StandardCharsets.ISO_8859_1));
    return true;
  }
}
