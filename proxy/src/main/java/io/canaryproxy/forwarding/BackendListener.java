package io.canaryproxy.forwarding;

/**
 * What a leased backend connection reports to the client-side handler that holds the lease.
 * Event-loop only.
 */
interface BackendListener {
  /** A response object from the backend; the listener owns it. */
  void onBackendRead(Object msg);

  /** The backend finished a read burst: a good moment to flush towards the client. */
  void onBackendReadComplete();

  /** The backend connection closed. */
  void onBackendInactive();

  /** The backend connection's writability changed. */
  void onBackendWritabilityChanged();
}
