package io.canaryproxy.analysis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The last finished rollouts (attempts), oldest first, at most {@code rollout.history} of them:
 * kept in the state file and served at {@code GET /admin/rollout/history}. Not thread-safe: the
 * controller guards it.
 */
final class RolloutHistory {
  private final int limit;
  private final ArrayDeque<Rollout> rollouts = new ArrayDeque<>();

  RolloutHistory(int limit) {
    this.limit = limit;
  }

  /**
   * Records {@code r}; when the newest one is the same attempt (a promoted canary rolled back
   * later), it is replaced.
   */
  void finish(Rollout r) {
    if (!rollouts.isEmpty() && rollouts.peekLast().attempt() == r.attempt()) {
      rollouts.removeLast();
    }
    rollouts.addLast(r);
    while (rollouts.size() > limit) {
      rollouts.removeFirst();
    }
  }

  /** True when the newest kept rollout is {@code attempt}. */
  boolean has(int attempt) {
    return !rollouts.isEmpty() && rollouts.peekLast().attempt() == attempt;
  }

  void load(Collection<Rollout> saved) {
    rollouts.clear();
    saved.forEach(this::finish);
  }

  List<Rollout> list() {
    return new ArrayList<>(rollouts);
  }

  /** True when {@code revision} is the revision of a kept rollout. */
  boolean seen(String revision) {
    return rollouts.stream().anyMatch(r -> revision.equals(r.revision()));
  }

  /** The compact trail of {@code verdicts}. */
  static List<Look> trail(Collection<Verdict> verdicts) {
    List<Look> out = new ArrayList<>(verdicts.size());
    for (Verdict v : verdicts) {
      out.add(new Look(v.at(), v.outcome(), v.ignored(), v.reason()));
    }
    return out;
  }

  /**
   * One finished rollout.
   *
   * @param attempt 1 for the first rollout of this state file, then one more per restart
   * @param revision the canary's revision when known ({@code rollout.revision}), else {@code null}
   * @param startedAt when the attempt started, ISO-8601 UTC
   * @param endedAt when it ended, ISO-8601 UTC
   * @param outcome promoted, rolledBack, or superseded (restarted before either)
   * @param reason the reason of its last transition
   * @param verdicts its last verdicts, oldest first, at most 20, in short form
   */
  public record Rollout(
      int attempt,
      String revision,
      String startedAt,
      String endedAt,
      String outcome,
      String reason,
      List<Look> verdicts) {
    public Rollout {
      verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
    }
  }

  /** One verdict in short form: when, what, whether the warm-up set it aside, and why. */
  public record Look(String at, Verdict.Outcome outcome, boolean ignored, String reason) {}
}
