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
 * The rollout state in the fleet store, as a {@link FleetDocument}. Every write is a
 * compare-and-set on the revision this replica last saw, so a replica that missed a change (a stale
 * leader after a pause, two operators at once) cannot overwrite it. The revision is guarded by the
 * controller's lock: the controller calls {@link #load()} and {@link #save} under it, and {@link
 * FleetCoordinator} takes it before {@link #follow}.
 */
final class FleetRolloutStore implements RolloutStore {
  static final ObjectMapper JSON =
      new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final FleetStore store;
  private final Function<RolloutStatus, FleetDocument> document;
  private final Applied saved;
  private volatile long revision;
  private volatile boolean lastSaveFailed;

  /**
   * @param document wraps a status into the document to store (adds the writer and what the leader
   *     saw of the fleet)
   * @param saved told of every state this replica stored, with its new revision
   */
  FleetRolloutStore(
      FleetStore store, Function<RolloutStatus, FleetDocument> document, Applied saved) {
    this.store = store;
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
    FleetStore.Versioned v = store.readState();
    if (v == null) {
      revision = 0;
      return Optional.empty();
    }
    revision = v.revision();
    return Optional.of(decode(v.value()));
  }

  @Override
  public void save(RolloutStatus status) throws IOException {
    lastSaveFailed = true;
    long next = store.compareAndSetState(JSON.writeValueAsBytes(document.apply(status)), revision);
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
    return store.describe();
  }

  static FleetDocument decode(byte[] value) throws IOException {
    try {
      return JSON.readValue(value, FleetDocument.class);
    } catch (IllegalArgumentException e) {
      throw new IOException("malformed rollout state: " + e.getMessage(), e);
    }
  }
}
