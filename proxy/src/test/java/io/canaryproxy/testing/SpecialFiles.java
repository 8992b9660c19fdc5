package io.canaryproxy.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Paths that are not regular files, for tests of bounded reads. Where the platform lacks one, the
 * test is skipped with the reason printed.
 */
public final class SpecialFiles {
  private SpecialFiles() {}

  /** A named pipe made with {@code mkfifo}; opening it for reading would block without a writer. */
  public static Path fifo(Path path) throws IOException, InterruptedException {
    int status;
    try {
      status =
          new ProcessBuilder("mkfifo", path.toString())
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start()
              .waitFor();
    } catch (IOException e) {
      skip("mkfifo is not available: " + e.getMessage());
      return path;
    }
    if (status != 0 || !Files.exists(path)) {
      skip("mkfifo " + path + " failed with status " + status);
    }
    return path;
  }

  /** A symlink at {@code link} to {@code /dev/zero}, which never ends. */
  public static Path devZero(Path link) throws IOException {
    Path zero = Path.of("/dev/zero");
    if (!Files.exists(zero)) {
      skip("/dev/zero does not exist here");
    }
    return Files.createSymbolicLink(link, zero);
  }

  private static void skip(String reason) {
    System.out.println("skipped: " + reason);
    Assumptions.abort(reason);
  }
}
