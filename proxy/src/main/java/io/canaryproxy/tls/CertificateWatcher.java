package io.canaryproxy.tls;

import io.canaryproxy.config.DirectoryWatch;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads {@link ServerTls} when its PEM files change, through the same {@link DirectoryWatch} as
 * the config watcher (directory events, so a Kubernetes Secret's {@code ..data} symlink swap is
 * seen, backed up by a poll); a change is one hash over all the files. Checks run on the watcher's
 * own thread; a change is acted on only when the content differs from the last content seen.
 */
public final class CertificateWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateWatcher.class);
  private static final int MAX_BYTES = 1 << 20;

  private final ServerTls tls;
  private final List<Path> files;
  private final DirectoryWatch watch;
  private byte[] lastHash;
  private byte[] lastFailed;

  public CertificateWatcher(ServerTls tls) {
    this.tls = tls;
    this.files =
        java.util.stream.Stream.of(
                tls.config().certFile(), tls.config().keyFile(), tls.config().clientCaFile())
            .filter(Objects::nonNull)
            .map(Path::toAbsolutePath)
            .toList();
    this.watch = new DirectoryWatch("canary-tls-reload", "canary-tls-watch", this::checkNow);
    this.lastHash = hash();
  }

  /** Starts watching the directories and polling every {@code pollInterval}. */
  public void start(Duration pollInterval) throws IOException {
    watch.start(files, pollInterval);
  }

  /** Re-reads the files now and reloads when they changed; safe from any thread. */
  public void check() {
    watch.check();
  }

  private void checkNow() {
    byte[] hash = hash();
    if (hash == null || Arrays.equals(hash, lastHash) || Arrays.equals(hash, lastFailed)) {
      return; // unchanged, mid-swap, or already refused: the next change is tried
    }
    if (tls.reload()) {
      lastHash = hash;
    } else {
      lastFailed = hash; // a half-written pair: tried again once the second file lands
    }
  }

  /** One hash over every file's content, or {@code null} when one cannot be read right now. */
  private byte[] hash() {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      for (Path file : files) {
        if (!Files.isRegularFile(file)) {
          return null;
        }
        try (InputStream in = Files.newInputStream(file)) {
          digest.update(in.readNBytes(MAX_BYTES));
        }
        digest.update((byte) 0);
      }
      return digest.digest();
    } catch (IOException e) {
      log.debug("tls files not readable right now: {}", e.toString());
      return null;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    watch.close();
  }
}
