package io.canaryproxy;

import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP and SIGTERM/SIGINT handling. Uses the JDK's {@code sun.misc.Signal} (module
 * jdk.unsupported), the only hook there is: a shutdown hook cannot choose the exit status (the JVM
 * exits 143 after SIGTERM), and a drain must exit 0.
 */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /**
   * Runs {@code action} on each SIGHUP; logs and carries on where the platform has no such signal.
   */
  static void onHangup(Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
    } catch (IllegalArgumentException e) {
      log.warn(
          "SIGHUP is not available here; config reloads rely on the file watch: {}",
          e.getMessage());
    }
  }

  /**
   * Runs {@code graceful} on a new thread at the first SIGTERM or SIGINT; a second one halts the
   * JVM at once with status 143.
   */
  static void onTerminate(Runnable graceful) {
    AtomicInteger count = new AtomicInteger();
    sun.misc.SignalHandler handler =
        signal -> {
          if (count.incrementAndGet() == 1) {
            log.info("SIG{} received: draining (send it again to exit at once)", signal.getName());
            Thread t = new Thread(graceful, "canary-drain");
            t.start();
          } else {
            log.warn("second SIG{}: exiting now", signal.getName());
            Runtime.getRuntime().halt(143);
          }
        };
    sun.misc.Signal.handle(new sun.misc.Signal("TERM"), handler);
    sun.misc.Signal.handle(new sun.misc.Signal("INT"), handler);
  }
}
