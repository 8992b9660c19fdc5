package io.canaryproxy.pool;

/**
 * What a leased {@link PooledConnection} reports to the one that holds the lease. Called on the
 * connection's event loop only.
 */
public interface ConnectionListener {
  /** A message from the backend; the listener owns it and must release it. */
  void onRead(Object msg);

  /** The backend finished a read burst: a good moment to flush the other way. Default: nothing. */
  default void onReadComplete() {}

  /** The connection closed; it is no longer leased. */
  void onClosed();

  /** The connection's writability changed. Default: nothing. */
  default void onWritabilityChanged() {}
}
