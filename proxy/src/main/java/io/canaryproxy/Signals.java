package io.canaryproxy;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** SIGHUP handling. Uses the JDK's {@code sun.misc.Signal} (module jdk.unsupported), the only portable hook there is. */
final class Signals {
  private static final Logger log = LoggerFactory.getLogger(Signals.class);

  private Signals() {}

  /** Runs {@code action} on each SIGHUP; logs and carries on where the platform has no such signal. */
  static void onHangup(Runnable action) {
    try {
      sun.misc.Signal.handle(new sun.misc.Signal("HUP"), signal -> action.run());
    } catch (IllegalArgumentException e) {
      log.warn("SIGHUP is not available here; config reloads rely on the file watch: {}", e.getMessage());
    }
  }
}
