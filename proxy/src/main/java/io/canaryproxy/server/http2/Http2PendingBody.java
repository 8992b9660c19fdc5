package io.canaryproxy.server.http2;

import io.canaryproxy.forwarding.Forwarder;
import io.netty.buffer.ByteBuf;
import java.util.ArrayDeque;

/**
 * The request body pieces of one client stream that its forwarder could not take yet, in order,
 * each with its size in the flow-control window: a piece's bytes go back to the client's window
 * only once it is taken or dropped, so a client can send at most the stream's window ahead of what
 * its backend takes. Owns the pieces it holds. Event-loop only.
 */
final class Http2PendingBody {
  private record Piece(ByteBuf data, int bytes, boolean last) {}

  private final ArrayDeque<Piece> pieces = new ArrayDeque<>(2);

  boolean isEmpty() {
    return pieces.isEmpty();
  }

  /** Keeps {@code data} (ownership passes), {@code bytes} of the window, {@code last} the end. */
  void add(ByteBuf data, int bytes, boolean last) {
    pieces.add(new Piece(data, bytes, last));
  }

  /**
   * True when a piece of {@code bytes} may be offered to {@code forwarder} now: while the backend
   * takes more bytes, or at any time for an empty end, which carries no byte (a bodiless request's
   * stream to an HTTP/2 backend ended with its HEADERS and is never writable again): so the
   * exchange sees its request complete, as an HTTP/1.1 connection's does before its next request.
   */
  static boolean takes(Forwarder forwarder, int bytes, boolean last) {
    return bytes == 0 && last || forwarder.wantsInput();
  }

  /**
   * Offers the pieces, in order, while {@code forwarder} takes them; returns their window bytes.
   */
  int offerTo(Forwarder forwarder) {
    int taken = 0;
    Piece p;
    while ((p = pieces.peek()) != null
        && takes(forwarder, p.bytes(), p.last())
        && forwarder.offerBody(p.data(), p.last())) {
      pieces.poll();
      taken += p.bytes();
    }
    return taken;
  }

  /** Drops every piece; returns their window bytes. */
  int release() {
    int bytes = 0;
    Piece p;
    while ((p = pieces.poll()) != null) {
      p.data().release();
      bytes += p.bytes();
    }
    return bytes;
  }
}
