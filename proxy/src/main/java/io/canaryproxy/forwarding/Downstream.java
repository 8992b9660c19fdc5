package io.canaryproxy.forwarding;

import io.canaryproxy.http.BodyEnd;
import io.canaryproxy.http.ResponseHead;
import io.netty.buffer.ByteBuf;

/**
 * The client side of an exchange, as the {@link Forwarder} sees it: implemented by the protocol
 * adapter that owns the client connection (HTTP/1: {@code server.http1.Http1ServerHandler}), which
 * frames what it is handed for its protocol. Called on the connection's event loop; no call blocks
 * or reaches back into the forwarder except {@link #wake}, which re-offers waiting input.
 */
public interface Downstream {
  /** True while the client connection can take more bytes. */
  boolean isWritable();

  /**
   * An interim (1xx, not 100 or 101) response head, hop-by-hop fields already removed; the adapter
   * may drop it.
   */
  void interim(ResponseHead head);

  /** The final response head, hop-by-hop fields already removed. */
  void head(ResponseHead head);

  /** A piece of the response body; takes ownership. */
  void body(ByteBuf piece);

  /** The end of the response body; written and flushed. */
  void end(BodyEnd end);

  /** Flushes what was written: the backend finished a read burst. */
  void flush();

  /**
   * Answers the proxy's own error for {@code failure} (no response byte was sent yet); {@code
   * requestUnread} when part of the request body was never read, so the connection cannot carry
   * another request.
   */
  void error(UpstreamFailure failure, boolean requestUnread);

  /** Cuts the client off now: a response already started and cannot be completed. */
  void abort();

  /**
   * The exchange ended (answered or failed): close the connection, or take the next request. {@code
   * requestUnfinished} when the client's request was not fully read, which forbids reuse.
   */
  void exchangeDone(boolean requestUnfinished);

  /**
   * The forwarder can now take input it refused before (a backend connection was attached): offer
   * what waits, and re-decide reading.
   */
  void wake();

  /**
   * The forwarder's wish to be read ({@link Forwarder#wantsInput}) may have changed: re-decide
   * reading, and write nothing now (this is called from inside a backend write, where a write would
   * re-enter that connection's encoder).
   */
  void readingChanged();

  /**
   * True when this client side can become a byte {@link Tunnel} after a {@code 101} (HTTP/1.1 can);
   * when false, upgrade requests are forwarded without their upgrade fields.
   */
  default boolean canTunnel() {
    return false;
  }

  /**
   * The backend switched protocols: write {@code head} (the {@code 101}, its {@code Upgrade} and
   * {@code Connection: upgrade} set), {@link Tunnel#start start} the tunnel, and from then on hand
   * every client byte to it. Called only when {@link #canTunnel} is true.
   */
  default void switchProtocols(ResponseHead head, Tunnel tunnel) {
    throw new UnsupportedOperationException("this client side cannot tunnel");
  }
}
