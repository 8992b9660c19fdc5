package io.canaryproxy;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * Recognises the one command line a container runs, {@code run --config FILE} (or {@code run
 * --config=FILE}), so that {@link Main} can run it without building picocli's command model.
 * Anything else, including every other spelling picocli would also accept, returns {@code null} and
 * goes through picocli, so help, errors and the other commands are unchanged.
 */
final class DirectRun {
  private DirectRun() {}

  /** The config file of {@code run --config FILE}, or {@code null} for any other command line. */
  static Path configOf(String[] args) {
    if (args.length == 0 || !"run".equals(args[0])) {
      return null;
    }
    String file;
    if (args.length == 3 && "--config".equals(args[1])) {
      file = args[2];
    } else if (args.length == 2 && args[1].startsWith("--config=")) {
      file = args[1].substring("--config=".length());
    } else {
      return null;
    }
    // an option-like or empty value: let picocli decide what it means and say so
    if (file.isEmpty() || file.startsWith("-")) {
      return null;
    }
    try {
      return Path.of(file);
    } catch (InvalidPathException e) {
      return null; // picocli reports it
    }
  }
}
