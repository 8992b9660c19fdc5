package io.canaryproxy.coordination;

import java.io.IOException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * The watch thread of {@link FleetCoordinator}: keeps a {@link FleetStore#watch} open from {@link
 * #start()} until the coordinator stops running, handing what it sees to the listener. A stream
 * that ends (a member went away) is resumed after 50 ms, on the next endpoint; a watch that no
 * endpoint accepts is reported as lost contact and tried again after 500 ms.
 */
final class FleetWatch {
  private final FleetStore fleet;
  private final FleetStore.Listener listener;
  private final Consumer<Exception> lost;
  private final BooleanSupplier running;
  private final Thread thread;

  /**
   * @param listener told of every leader change and stored state, on the watch thread
   * @param running false once the coordinator stops: the watch is not resumed, a failure not told
   * @param lost told when no endpoint accepted the watch
   */
  FleetWatch(
      FleetStore fleet,
      FleetStore.Listener listener,
      BooleanSupplier running,
      Consumer<Exception> lost) {
    this.fleet = fleet;
    this.listener = listener;
    this.running = running;
    this.lost = lost;
    this.thread = new Thread(this::loop, "canary-coordination-watch");
    thread.setDaemon(true);
  }

  void start() {
    thread.start();
  }

  /** Ends the watch and its thread; once the coordinator no longer runs. */
  void stop() {
    thread.interrupt();
    fleet.stopWatch();
  }

  private void loop() {
    while (running.getAsBoolean()) {
      long pause = 50; // the stream ended (a member went away): resume at once elsewhere
      try {
        fleet.watch(listener);
      } catch (IOException | RuntimeException e) {
        if (running.getAsBoolean()) {
          lost.accept(e); // no endpoint answered
        }
        pause = 500;
      } catch (InterruptedException e) {
        return;
      }
      if (running.getAsBoolean()) {
        try {
          Thread.sleep(pause); // the watch's own thread, not an event loop: back off, then resume
        } catch (InterruptedException e) {
          return;
        }
      }
    }
  }
}
