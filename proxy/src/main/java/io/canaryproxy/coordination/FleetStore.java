package io.canaryproxy.coordination;

import java.io.IOException;
import java.util.List;

/**
 * What {@link FleetCoordinator} needs of a coordination store: a session per replica, one leader at
 * a time, the rollout state with compare-and-set on a revision, a watch on the state and the
 * leadership, and evidence each replica publishes for the leader to take. {@link EtcdFleetStore}
 * keeps them in etcd, {@code KubernetesFleetStore} in a Lease and ConfigMaps. Every call blocks for
 * at most the store's call timeout and throws {@link IOException} when the store cannot be reached.
 */
interface FleetStore extends AutoCloseable {

  /** The store's name in {@code /admin/rollout}: {@code etcd} or {@code kubernetes}. */
  String kind();

  /** Where the state is, for logs and errors. */
  String describe();

  /** Opens this replica's session (etcd: a lease of {@code leaseTtl}). */
  void open() throws IOException;

  /**
   * Renews this replica's session and, when {@code leading}, its leadership.
   *
   * @return false when either had lapsed: this replica no longer leads (a new session is open)
   */
  boolean renew(boolean leading) throws IOException;

  /** The stored rollout state, or {@code null} when none was stored yet. */
  Versioned readState() throws IOException;

  /**
   * Stores {@code value} only if the state's revision is still {@code expected} (0: only if none is
   * stored).
   *
   * @return the new revision, or -1 when the state had moved on
   */
  long compareAndSetState(byte[] value, long expected) throws IOException;

  /** The state and the leader now; {@link #watch} resumes from this view's point. */
  View view() throws IOException;

  /** Tries to take the leadership (or to keep it, when this replica's session still holds it). */
  Campaign campaign() throws IOException;

  /**
   * Whether the leadership of {@code leader} (as last reported) has lapsed without the watch saying
   * so, so that a campaign may win; etcd reports a lapse as an event, a Kubernetes Lease only by
   * its renew time.
   */
  boolean lapsed(String leader);

  /**
   * Reports every change of the state or the leadership to {@code listener}, from the last view or
   * event seen, until the stream ends (returns) or no endpoint answers (throws). Blocks the calling
   * thread; {@link #stopWatch} ends it.
   */
  void watch(Listener listener) throws IOException, InterruptedException;

  /** Ends a running {@link #watch}. */
  void stopWatch();

  /** Publishes this replica's interval number {@code seq}; it lives for at most the session TTL. */
  void publish(long seq, byte[] evidence) throws IOException;

  /** Takes (reads and removes) every replica's published evidence. */
  List<byte[]> takeEvidence() throws IOException;

  /** Ends this replica's session at once, giving up its leadership. */
  void leave() throws IOException;

  @Override
  void close();

  /** A stored value and its revision (increasing with every write). */
  record Versioned(long revision, byte[] value) {}

  /** The stored state ({@code null} when none) and the leader's id ({@code null} when none). */
  record View(Versioned state, String leader) {}

  /** A campaign's outcome: whether this replica leads, and who does ({@code null}: nobody). */
  record Campaign(boolean won, String leader) {}

  /** Told of the changes a watch sees, on the watch's thread. */
  interface Listener {
    /** The leader is now {@code id}, or nobody ({@code null}). */
    void leader(String id);

    /** The state was stored at {@code revision}. */
    void state(long revision, byte[] value);
  }
}
