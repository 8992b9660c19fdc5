package io.canaryproxy.http1;

import static io.canaryproxy.http1.Ascii.CR;
import static io.canaryproxy.http1.Ascii.LF;

import io.canaryproxy.config.LimitsConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Checks a chunked request body (RFC 9112 §7.1) while it streams past, as a state machine over the
 * received buffers: chunk data is counted, never copied or held. Only the current chunk-size or
 * trailer line is copied, into a scratch buffer bounded by its line limit. The checks and their
 * statuses are those of the current request path (Netty's decoder, then the guard's body limit):
 * any framing error is 400, data past {@code limits.maxBodyBytes} is 413, and the trailer section
 * shares the head's header-byte allowance.
 */
public final class ChunkedBodyValidator {
  /** Where the body stands. */
  public enum State {
    /** More bytes are needed. */
    INCOMPLETE,
    /** The body ended: the last chunk, the trailer section and its blank line were read. */
    DONE,
    /** The body is refused: see {@link #rejection()}. */
    REJECTED
  }

  private enum Step {
    SIZE_LINE,
    DATA,
    DELIMITER,
    TRAILER_LINE
  }

  private final int maxLineBytes;
  private final int maxHeaderBytes;
  private final long maxBodyBytes;
  private final int[] split = new int[3];
  private ByteBuf line = Unpooled.buffer(64);

  private State state = State.DONE;
  private Step step;
  private Rejection rejection;
  private long remaining;
  private long dataBytes;
  private int delimiterSeen;
  private byte firstDelimiterByte;
  private int trailerBytes;
  private int dataOffset;
  private int dataLength;

  // The trailer field read last; checked when the next line comes, as Netty adds it then.
  private boolean pending;
  private boolean pendingChecked;
  private boolean pendingValid;
  private boolean pendingValueEmpty;

  public ChunkedBodyValidator(LimitsConfig limits) {
    this.maxLineBytes = limits.maxRequestLineBytes();
    this.maxHeaderBytes = limits.maxHeaderBytes();
    this.maxBodyBytes = limits.maxBodyBytes();
  }

  /** Starts a body after a head of {@code headerBytes} (see {@link Http1RequestHead}). */
  public void start(int headerBytes) {
    state = State.INCOMPLETE;
    step = Step.SIZE_LINE;
    rejection = null;
    dataBytes = 0;
    delimiterSeen = 0;
    trailerBytes = headerBytes;
    pending = false;
    line.clear();
  }

  public State state() {
    return state;
  }

  public Rejection rejection() {
    return rejection;
  }

  /** Chunk data bytes so far: the body length without its framing. */
  public long dataBytes() {
    return dataBytes;
  }

  /**
   * Reads the bytes of {@code in} from its reader index (which it leaves alone) and returns how
   * many of them belong to this body; fewer than readable once the body is {@link State#DONE} (the
   * rest is the next request). Call again with the next bytes while {@link State#INCOMPLETE}.
   */
  public int feed(ByteBuf in) {
    return feed(in, false);
  }

  /**
   * As {@link #feed}, but stops after the first run of chunk data it reads, which is then {@link
   * #dataLength()} bytes at {@link #dataOffset()} from the reader index (0 bytes: no data read).
   * The caller hands such runs on as slices, so a body is de-chunked without being copied.
   */
  public int feedPiece(ByteBuf in) {
    return feed(in, true);
  }

  /** Where the data run of the last {@link #feedPiece} starts, from the reader index. */
  public int dataOffset() {
    return dataOffset;
  }

  /** How many data bytes the last {@link #feedPiece} read (0: none). */
  public int dataLength() {
    return dataLength;
  }

  private int feed(ByteBuf in, boolean stopAfterData) {
    int start = in.readerIndex();
    int end = in.writerIndex();
    int i = start;
    dataLength = 0;
    while (i < end && state == State.INCOMPLETE) {
      if (stopAfterData && dataLength > 0) {
        break;
      }
      switch (step) {
        case DATA -> {
          int take = (int) Math.min(remaining, end - i);
          dataOffset = i - start;
          dataLength = take;
          i += take;
          remaining -= take;
          dataBytes += take;
          if (dataBytes > maxBodyBytes) {
            reject(Rejection.BODY_TOO_LARGE);
          } else if (remaining == 0) {
            step = Step.DELIMITER;
            delimiterSeen = 0;
          }
        }
        case DELIMITER -> {
          // Netty decides on the two bytes together: a wrong first byte waits for the second.
          byte b = in.getByte(i++);
          if (delimiterSeen == 0) {
            firstDelimiterByte = b;
            delimiterSeen = 1;
          } else if (firstDelimiterByte == CR && b == LF) {
            step = Step.SIZE_LINE;
          } else {
            reject(Rejection.BAD_CHUNK);
          }
        }
        default -> i = readLine(in, i, end);
      }
    }
    if (state == State.INCOMPLETE
        && (step == Step.SIZE_LINE || step == Step.TRAILER_LINE)
        && line.readableBytes() > allowance()) {
      reject(Rejection.BAD_CHUNK); // a line over its limit, judged on the bytes received so far
    }
    return i - start;
  }

  private long allowance() {
    return step == Step.SIZE_LINE ? maxLineBytes : maxHeaderBytes - trailerBytes;
  }

  /** Copies line bytes up to and including an LF; handles the line once complete. */
  private int readLine(ByteBuf in, int i, int end) {
    long allowance = allowance();
    int lf = Ascii.indexOf(in, i, end, LF);
    int upTo = lf < 0 ? end : lf + 1;
    if (line.readableBytes() + (long) (upTo - i) > allowance + 2) {
      reject(Rejection.BAD_CHUNK); // too long whatever comes next
      return upTo;
    }
    line.writeBytes(in, i, upTo - i);
    if (lf < 0) {
      return upTo;
    }
    int found = FieldLines.findLineEnd(line, 0, line.writerIndex(), allowance);
    if (found < 0) {
      reject(Rejection.BAD_CHUNK);
      return upTo;
    }
    int contentEnd = found - 1;
    if (step == Step.SIZE_LINE) {
      sizeLine(contentEnd);
    } else {
      trailerLine(contentEnd);
    }
    line.clear();
    return upTo;
  }

  private void sizeLine(int contentEnd) {
    long size = ChunkLines.size(line, 0, contentEnd);
    if (size < 0) {
      reject(Rejection.BAD_CHUNK);
    } else if (size == 0) {
      step = Step.TRAILER_LINE;
    } else {
      remaining = size;
      step = Step.DATA;
    }
  }

  private void trailerLine(int contentEnd) {
    if (contentEnd == 0) {
      if (pending && !pendingOk()) {
        return;
      }
      state = State.DONE;
      return;
    }
    trailerBytes += contentEnd;
    byte first = line.getByte(0);
    if (pending && (first == Ascii.SP || first == Ascii.HT)) {
      pendingValid &= FieldLines.foldKeepsValueValid(line, 0, contentEnd, pendingValueEmpty);
      pendingValueEmpty = false;
      return;
    }
    if (pending && !pendingOk()) {
      return;
    }
    if (!FieldLines.split(line, 0, contentEnd, split)) {
      reject(Rejection.BAD_CHUNK);
      return;
    }
    int nameEnd = split[0];
    pending = true;
    // Netty keeps (and checks) no Content-Length, Transfer-Encoding or Trailer trailer.
    pendingChecked =
        !(Ascii.equalsIgnoreCase(line, 0, nameEnd, "content-length")
            || Ascii.equalsIgnoreCase(line, 0, nameEnd, "transfer-encoding")
            || Ascii.equalsIgnoreCase(line, 0, nameEnd, "trailer"));
    pendingValid =
        FieldLines.isValidName(line, 0, nameEnd)
            && FieldLines.isValidValue(line, split[1], split[2]);
    pendingValueEmpty = split[1] == split[2];
  }

  private boolean pendingOk() {
    pending = false;
    if (pendingChecked && !pendingValid) {
      reject(Rejection.BAD_CHUNK);
      return false;
    }
    return true;
  }

  private void reject(Rejection r) {
    rejection = r;
    state = State.REJECTED;
  }
}
