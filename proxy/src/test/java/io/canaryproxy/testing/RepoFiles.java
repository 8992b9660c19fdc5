package io.canaryproxy.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Finds files of the repository (config examples, Dockerfile, manifests) from a test, whether the
 * tests run from the repository root or, as surefire does, from the module directory.
 */
public final class RepoFiles {
  private RepoFiles() {}

  /**
   * The repository root: the nearest directory up from the working directory with {@code
   * proxy/pom.xml}.
   */
  public static Path root() {
    Path start = Path.of("").toAbsolutePath();
    for (Path p = start; p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("proxy").resolve("pom.xml"))
          && Files.isDirectory(p.resolve("config"))) {
        return p;
      }
    }
    throw new IllegalStateException(
        "no repository root (a directory with proxy/pom.xml and config/) above " + start);
  }

  /** {@code relative} resolved against the repository root. */
  public static Path file(String relative) {
    return root().resolve(relative);
  }
}
