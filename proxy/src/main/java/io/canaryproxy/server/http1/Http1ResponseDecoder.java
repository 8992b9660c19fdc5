package io.canaryproxy.server.http1;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.MalformedMessage;
import io.canaryproxy.http1.ChunkedResponseReader;
import io.canaryproxy.http1.HeadCopy;
import io.canaryproxy.http1.Http1ResponseHead;
import io.canaryproxy.http1.RequestHeadParser;
import io.canaryproxy.http1.ResponseHeadParser;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.PrematureChannelClosureException;
import java.util.List;

/**
 * Reads a backend connection's HTTP/1.1 responses in place: each head is parsed where it lies
 * ({@link ResponseHeadParser}, as strict as the Netty decoder it replaced with its guards) and
 * handed on as the exchange model's {@link io.canaryproxy.http.ResponseHead} ({@link
 * Http1BackendResponse}, a copy of the head's bytes), each body piece as a retained slice of the
 * received bytes, each message's end as one {@link BodyEnd} (with a chunked body's trailers), and a
 * refusal as a {@link MalformedMessage}, after which nothing more is read (the forwarder answers
 * 502 {@code bad_response} and closes the connection).
 *
 * <p>Bytes received past a complete response stay here: {@link #buffered()} tells the pool, which
 * then never reuses the connection (a backend that wrote past its framing must not answer the next
 * user). After a {@code 101} to a request that asked to upgrade, every byte passes on as it is.
 */
public final class Http1ResponseDecoder extends ByteToMessageDecoder {
  private static final int HEAD = 0;
  private static final int LENGTH = 1;
  private static final int CHUNKED = 2;
  private static final int UNTIL_CLOSE = 3;
  private static final int SWITCHED = 4;
  private static final int BROKEN = 5;

  private final ResponseHeadParser parser;
  private final ChunkedResponseReader chunks;
  private final Http1BackendResponse view = new Http1BackendResponse();

  private final Requests requests;
  private int state = HEAD;
  private long remaining;

  /** What the connection's encoder wrote: the decoder reads the answers in order. */
  public interface Requests {
    /** The oldest request not yet answered by a final response was a HEAD. */
    boolean oldestIsHead();

    /** The oldest request not yet answered asked to upgrade (a {@code 101} may answer it). */
    boolean oldestUpgrades();

    /** A final response to the oldest request was read. */
    void answered();
  }

  /**
   * @param maxLineBytes longest status or chunk-size line
   * @param maxHeaderBytes largest field section (and trailer section)
   */
  public Http1ResponseDecoder(int maxLineBytes, int maxHeaderBytes, Requests requests) {
    this.parser = new ResponseHeadParser(maxLineBytes, maxHeaderBytes);
    this.chunks = new ChunkedResponseReader(maxLineBytes, maxHeaderBytes);
    this.requests = requests;
  }

  /** True when bytes arrived that no response accounted for yet. */
  public boolean buffered() {
    return actualReadableBytes() > 0;
  }

  /** True once a {@code 101} switched the connection to a tunnel. */
  public boolean switched() {
    return state == SWITCHED;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    switch (state) {
      case HEAD -> head(in, out);
      case LENGTH -> {
        int take = (int) Math.min(remaining, in.readableBytes());
        if (take > 0) {
          out.add(in.readRetainedSlice(take));
          remaining -= take;
        }
        if (remaining == 0) {
          end(out, null);
        }
      }
      case CHUNKED -> chunked(in, out);
      case UNTIL_CLOSE, SWITCHED -> {
        if (in.isReadable()) {
          out.add(in.readRetainedSlice(in.readableBytes()));
        }
      }
      default -> in.skipBytes(in.readableBytes());
    }
  }

  private void head(ByteBuf in, List<Object> out) {
    boolean upgrade = requests.oldestUpgrades();
    int from = in.readerIndex();
    ByteBuf bytes = HeadCopy.of(in); // cheaper to read byte by byte
    RequestHeadParser.Result result = parser.parse(bytes, requests.oldestIsHead(), upgrade);
    if (bytes != in) {
      in.readerIndex(from + bytes.readerIndex()); // the empty lines the parser skipped
    }
    if (result == RequestHeadParser.Result.INCOMPLETE) {
      return;
    }
    if (result == RequestHeadParser.Result.REJECTED) {
      fail(in, out, new IllegalArgumentException("invalid response head from the backend"));
      return;
    }
    Http1ResponseHead h = parser.head();
    view.reset(h, in);
    if (h.framing() == Http1ResponseHead.Framing.NONE) {
      view.dropChunkedCoding();
    }
    out.add(view);
    in.skipBytes(h.length());
    int status = h.status();
    if (status == 101) {
      // Accepted only when the request asked to upgrade (the parser refuses it otherwise).
      requests.answered();
      out.add(BodyEnd.NONE);
      state = SWITCHED;
      return;
    }
    if (status >= 200) {
      requests.answered();
    }
    switch (h.framing()) {
      case NONE -> out.add(BodyEnd.NONE);
      case LENGTH -> {
        remaining = h.contentLength();
        if (remaining == 0) {
          out.add(BodyEnd.NONE);
        } else {
          state = LENGTH;
        }
      }
      case CHUNKED -> {
        chunks.start();
        state = CHUNKED;
      }
      default -> state = UNTIL_CLOSE;
    }
  }

  private void chunked(ByteBuf in, List<Object> out) {
    int n = chunks.next(in);
    if (n > 0) {
      out.add(in.readRetainedSlice(n));
    } else if (n == ChunkedResponseReader.DONE) {
      List<String> t = chunks.trailers();
      end(out, t);
    } else if (n == ChunkedResponseReader.BAD) {
      fail(in, out, new IllegalArgumentException("invalid chunked body from the backend"));
    }
  }

  private void end(List<Object> out, List<String> trailers) {
    state = HEAD;
    if (trailers == null) {
      out.add(BodyEnd.NONE);
      return;
    }
    NettyHeaders fields = NettyHeaders.create();
    for (int i = 0; i < trailers.size(); i += 2) {
      fields.add(trailers.get(i), trailers.get(i + 1));
    }
    out.add(BodyEnd.of(fields));
  }

  private void fail(ByteBuf in, List<Object> out, Throwable cause) {
    state = BROKEN;
    in.skipBytes(in.readableBytes());
    out.add(new MalformedMessage(cause));
  }

  /**
   * The backend closed: a body delimited by the close ends here; a head cut after its status line
   * is a malformed response (as Netty's decoder reported it); a body cut short ends nothing (the
   * forwarder sees the close: {@code connection_closed}).
   */
  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out)
      throws Exception {
    if (in.isReadable()) {
      decode(ctx, in, out);
    }
    if (state == UNTIL_CLOSE) {
      state = HEAD;
      out.add(BodyEnd.NONE);
    } else if (state == HEAD && in.isReadable() && statusLineComplete(in)) {
      fail(
          in,
          out,
          new PrematureChannelClosureException("Connection closed before received headers"));
    }
  }

  /** The unread bytes hold a complete first line (after any empty lines). */
  private static boolean statusLineComplete(ByteBuf in) {
    int i = in.readerIndex();
    int end = in.writerIndex();
    while (i < end && (in.getByte(i) == '\r' || in.getByte(i) == '\n')) {
      i++;
    }
    for (; i < end; i++) {
      if (in.getByte(i) == '\n') {
        return true;
      }
    }
    return false;
  }
}
