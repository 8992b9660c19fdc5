package io.canaryproxy.analysis;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The record of a rollout's attempts ({@code rollout.lifecycle}): the current attempt (its number,
 * the canary revision it is for, when it started and its last {@value
 * RolloutController#VERDICTS_KEPT} verdicts) and the finished ones ({@link RolloutHistory}). Not
 * thread-safe: the controller guards it.
 */
final class RolloutAttempts {
  /** Longest revision string kept; a longer one is cut. */
  private static final int MAX_REVISION = 128;

  private final RolloutHistory history;
  private final ArrayDeque<Verdict> verdicts = new ArrayDeque<>();
  private int attempt = 1;
  private String revision;
  private Instant startedAt;

  /** The first attempt, started at {@code now}, keeping {@code historySize} finished ones. */
  RolloutAttempts(int historySize, Instant now) {
    this.history = new RolloutHistory(historySize);
    this.startedAt = now;
  }

  int attempt() {
    return attempt;
  }

  /** The current attempt's revision, or {@code null} when none was seen yet. */
  String revision() {
    return revision;
  }

  /** Sets the current attempt's revision (the first one seen). */
  void revision(String r) {
    revision = r;
  }

  Instant startedAt() {
    return startedAt;
  }

  void startedAt(Instant at) {
    startedAt = at;
  }

  /**
   * A revision as seen: stripped and cut to {@value #MAX_REVISION} characters, or {@code null} when
   * blank or {@code null}.
   */
  static String normalize(String seen) {
    if (seen == null || seen.isBlank()) {
      return null;
    }
    String r = seen.strip();
    return r.length() > MAX_REVISION ? r.substring(0, MAX_REVISION) : r;
  }

  /** True when {@code r} is neither the current attempt's revision nor one in the history. */
  boolean isNew(String r) {
    return !(r.equals(revision) || history.seen(r));
  }

  /** Keeps {@code v} among the current attempt's last verdicts. */
  void record(Verdict v) {
    verdicts.addLast(v);
    while (verdicts.size() > RolloutController.VERDICTS_KEPT) {
      verdicts.removeFirst();
    }
  }

  /** The current attempt's last verdicts, oldest first. */
  List<Verdict> verdicts() {
    return new ArrayList<>(verdicts);
  }

  /** The finished attempts, oldest first. */
  List<RolloutHistory.Rollout> finished() {
    return history.list();
  }

  /**
   * Puts the current attempt in the history as ended at {@code now} with {@code outcome} (promoted,
   * rolledBack or superseded) for {@code reason}; a promoted attempt rolled back later is replaced.
   */
  void finish(String outcome, String reason, Instant now) {
    history.finish(
        new RolloutHistory.Rollout(
            attempt,
            revision,
            startedAt.toString(),
            now.toString(),
            outcome,
            reason,
            RolloutHistory.trail(verdicts)));
  }

  /**
   * Starts the next attempt at {@code now}, for {@code newRevision}, with no verdicts. The current
   * one, in {@code state} for {@code reason}, goes to the history as superseded unless it is there
   * already or ended (promoted or rolled back).
   */
  void restart(RolloutState state, String reason, String newRevision, Instant now) {
    if (!history.has(attempt)) {
      boolean ended = state == RolloutState.PROMOTED || state == RolloutState.ROLLED_BACK;
      finish(ended ? state.jsonName() : "superseded", reason, now);
    }
    attempt++;
    revision = newRevision;
    startedAt = now;
    verdicts.clear();
  }

  /**
   * Takes the attempt fields of a stored status: its number, revision, start time (when stored),
   * history and last verdicts.
   */
  void take(RolloutStatus s) {
    attempt = Math.max(1, s.attempt());
    revision = s.revision();
    if (s.startedAt() != null) {
      startedAt = Instant.parse(s.startedAt());
    }
    history.load(s.history());
    verdicts.clear();
    s.verdicts().stream()
        .skip(Math.max(0, s.verdicts().size() - RolloutController.VERDICTS_KEPT))
        .forEach(verdicts::add);
  }

  /**
   * The finished attempts and the current one, in {@code state} for {@code reason}, as served at
   * {@code /admin/rollout/history}.
   */
  Map<String, Object> describe(RolloutState state, String reason) {
    Map<String, Object> current = new LinkedHashMap<>();
    current.put("attempt", attempt);
    current.put("revision", revision);
    current.put("startedAt", startedAt.toString());
    current.put("state", state.jsonName());
    current.put("reason", reason);
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("current", current);
    out.put("rollouts", history.list());
    return out;
  }
}
