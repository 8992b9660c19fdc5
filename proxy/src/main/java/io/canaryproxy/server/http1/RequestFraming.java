package io.canaryproxy.server.http1;

/**
 * The client connection's request decoder, as the adapter steers it around an upgrade. After a
 * request that carries {@code Upgrade}, the decoder holds back every byte that follows (it is not
 * parsed, and the connection is not read further) until the answer is known, as nginx does: after a
 * {@code 101} those bytes are the first tunnel bytes; after any other answer they are parsed as the
 * next request. So no byte sent before the {@code 101} is ever taken for a request on a pooled
 * backend connection, nor for tunnel data when the backend declines.
 */
public interface RequestFraming {
  /** True while bytes after an upgrade request are held back, waiting for its answer. */
  boolean holding();

  /** The upgrade was declined: parse what was held, and what follows, as HTTP requests again. */
  void resume();

  /** The connection switched protocols: pass what was held, and every later byte, on as it is. */
  void passThrough();

  /**
   * The exchange of {@code head} is over and nothing holds the head any more: the decoder may reuse
   * it for a later request on this connection.
   */
  default void recycle(Http1Head head) {}
}
