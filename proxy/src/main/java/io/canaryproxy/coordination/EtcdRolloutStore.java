package io.canaryproxy.coordination;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.analysis.RolloutStatus;
import io.canaryproxy.analysis.RolloutStore;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.function.Function;

/**
 * The rollout state in etcd, under {@code PREFIX/ctl/state}, as a {@link FleetDocument}. Every
 * write is a compare-and-set on the modification revision this replica last saw, so a replica that
 * missed a change (a stale leader after a pause, two operators at once) cannot overwrite it. The
 * revision is guarded by the controller's lock: the controller calls {@link #load()} and {@link
 * #save} under it, and {@link FleetCoordinator} takes it before {@link #follow}.
 */
final class EtcdRolloutStore implements RolloutStore {
  static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final EtcdClient etcd;
  private final String key;
  private final Function<RolloutStatus, FleetDocument> document;
  private final Applied saved;
  private volatile long revision;
  private volatile boolean lastSaveFailed;

  /**
   * @param document wraps a status into the document to store (adds the writer and what the leader
   *     saw of the fleet)
   * @param saved told of every state this replica stored, with its new revision
   */
  EtcdRolloutStore(
      EtcdClient etcd, String key, Function<RolloutStatus, FleetDocument> document, Applied saved) {
    this.etcd = etcd;
    this.key = key;
    this.document = document;
    this.saved = saved;
  }

  /** Told of a rollout state this replica routes by from now on, with its store revision. */
  interface Applied {
    void applied(long revision, RolloutStatus status);
  }

  @Override
  public Optional<RolloutStatus> load() {
    try {
      return read().map(FleetDocument::status);
    } catch (IOException e) {
      throw new UncheckedIOException(
          new IOException(
              "rollout.coordination: cannot read the rollout state at "
                  + describe()
                  + ": "
                  + e.getMessage(),
              e));
    }
  }

  /** Reads the stored document and takes its revision as the one to follow. */
  Optional<FleetDocument> read() throws IOException {
    EtcdClient.Range r = etcd.get(key);
    if (r.kvs().isEmpty()) {
      revision = 0;
      return Optional.empty();
    }
    EtcdClient.Kv kv = r.kvs().get(0);
    revision = kv.modRevision();
    return Optional.of(decode(kv.value()));
  }

  @Override
  public void save(RolloutStatus status) throws IOException {
    lastSaveFailed = true;
    long next = etcd.putIfRevision(key, JSON.writeValueAsBytes(document.apply(status)), revision);
    if (next < 0) {
      throw new ConflictException(
          "rollout state at " + describe() + " changed since revision " + revision + "; not saved");
    }
    revision = next;
    lastSaveFailed = false;
    saved.applied(next, status);
  }

  /**
   * Whether a change at {@code modRevision} is newer than the state followed; if so, it becomes the
   * one followed. Call under the controller's lock.
   */
  boolean follow(long modRevision) {
    if (modRevision <= revision) {
      return false;
    }
    revision = modRevision;
    return true;
  }

  /** Whether the last {@link #save} was refused or failed. */
  boolean lastSaveFailed() {
    return lastSaveFailed;
  }

  long revision() {
    return revision;
  }

  @Override
  public String describe() {
    return etcd.endpoint() + " key " + key;
  }

  static FleetDocument decode(byte[] value) throws IOException {
    try {
      return JSON.readValue(value, FleetDocument.class);
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed rollout state: " + e.getMessage(), e);
    }
  }
}
