package io.canaryproxy.analysis;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Objects;
import java.util.Optional;

/**
 * Reads and writes the rollout state file ({@code rollout.stateFile}) as the JSON of a {@link
 * RolloutStatus}. A write goes to a temporary file in the same directory, which is then atomically
 * moved over the old one, so a crash leaves either the old or the new state, never a torn file.
 */
public final class RolloutStateStore implements RolloutStore {
  private static final ObjectMapper MAPPER =
      new ObjectMapper()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  private final Path file;

  /** A store for {@code file}; its directory must exist and be writable. */
  public RolloutStateStore(Path file) {
    this.file = Objects.requireNonNull(file, "file").toAbsolutePath();
  }

  /** The state file's absolute path. */
  public Path file() {
    return file;
  }

  /**
   * The saved state, or empty when there is no file.
   *
   * @throws UncheckedIOException when the file exists but cannot be read or parsed: starting over
   *     would undo a rollback, so the operator must fix or delete it
   */
  @Override
  public Optional<RolloutStatus> load() {
    try {
      return Optional.of(MAPPER.readValue(Files.readAllBytes(file), RolloutStatus.class));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | IllegalArgumentException e) {
      throw new UncheckedIOException(
          new IOException(
              "rollout.stateFile: "
                  + file
                  + " (expected: a readable rollout state file; fix or delete it to restart the rollout): "
                  + e.getMessage(),
              e));
    }
  }

  @Override
  public String describe() {
    return file.toString();
  }

  /** Replaces the file with {@code status}, atomically. */
  @Override
  public void save(RolloutStatus status) throws IOException {
    Path dir = file.getParent();
    Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
    try {
      Files.write(tmp, MAPPER.writeValueAsBytes(status));
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
