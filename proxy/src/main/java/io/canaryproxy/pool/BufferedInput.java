package io.canaryproxy.pool;

/**
 * Implemented by a handler of a pooled connection's pipeline that buffers received bytes (the
 * response decoder). A connection whose decoder still holds bytes after its response ended must not
 * be reused: those bytes were sent past the response's framing and would be read as the next user's
 * response.
 */
public interface BufferedInput {
  /** True when bytes were received that no message has consumed yet. */
  boolean hasBufferedInput();
}
