package io.canaryproxy.analysis;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/**
 * The recent windows of a step, judged beside the step's whole evidence so that healthy data from
 * early in a long step cannot dilute a canary that degrades later. The step's looks are cut into
 * blocks: a block closes once it holds at least {@value #BLOCK_LOOKS} looks and {@value
 * CanaryJudge#FAIL_FLOOR} canary requests. A window runs from the start of one of the last {@value
 * #KEPT} blocks to the current look, so it always holds between one and two blocks of data.
 *
 * <p>Calibration: the window that starts at block j (j = 2, 3, ...; block 1 starts with the step,
 * which is the whole evidence) is an always-valid test of its own data from its start, judged at a
 * weight 1/((j-1)·j) of the windows' half of the error budget. The weights sum to 1, so however
 * many blocks a step runs and however often a window is looked at, the windows of a canary within
 * its tolerances FAIL a step with probability at most that half; the whole evidence takes the other
 * half. A window that ages out is simply no longer looked at, which keeps the bound. Not
 * thread-safe: {@link StepEvidence} guards it.
 */
final class RecentWindows {
  /** Fewest looks in a block. */
  static final int BLOCK_LOOKS = 3;

  /** Blocks whose start opens a window. */
  static final int KEPT = 2;

  /** An open window: its running sum since its start. */
  private static final class Open {
    final int block;
    final StepEvidence sum = StepEvidence.plain();
    int looks;
    JudgeInput last;

    Open(int block) {
      this.block = block;
    }
  }

  private final ArrayDeque<Open> open = new ArrayDeque<>();
  private int block;
  private int blockLooks;
  private long blockCanary;

  /** Starts a new step: the first block begins with the next look. */
  void reset() {
    open.clear();
    block = 1;
    blockLooks = 0;
    blockCanary = 0;
  }

  RecentWindows() {
    reset();
  }

  /** Adds one look's interval to the current block and to every open window. */
  void add(JudgeInput interval) {
    if (blockLooks >= BLOCK_LOOKS && blockCanary >= CanaryJudge.FAIL_FLOOR) {
      block++;
      blockLooks = 0;
      blockCanary = 0;
      open.addLast(new Open(block));
      while (open.size() > KEPT) {
        open.removeFirst();
      }
    }
    blockLooks++;
    blockCanary += interval.canary().requests();
    for (Open w : open) {
      w.looks++;
      w.last = w.sum.add(interval, false);
    }
  }

  /** The open windows after the last {@link #add}, oldest first; none during the first block. */
  List<Window> windows() {
    List<Window> list = new ArrayList<>(open.size());
    for (Open w : open) {
      list.add(new Window(w.looks, weight(w.block), w.last));
    }
    return list;
  }

  /** The share of the windows' error budget of the window that starts at block {@code j >= 2}. */
  static double weight(int j) {
    return 1.0 / ((j - 1.0) * j);
  }

  /**
   * One window to judge.
   *
   * @param looks looks it spans, the current one included
   * @param weight its share of the windows' half of the error budget
   * @param input its evidence: the sum of its looks
   */
  record Window(int looks, double weight, JudgeInput input) {}
}
