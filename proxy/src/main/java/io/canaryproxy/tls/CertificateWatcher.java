package io.canaryproxy.tls;

import io.canaryproxy.config.DirectoryWatch;
import io.canaryproxy.config.PemFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

/**
 * Reloads TLS material when its PEM files change, through the same {@link DirectoryWatch} as the
 * config watcher (directory events, so a Kubernetes Secret's {@code ..data} symlink swap is seen,
 * backed up by a poll); a change is one hash over all the files. Checks run on the watcher's own
 * thread; a change is acted on only when the content differs from the last content seen. Used for
 * the listener's {@link ServerTls} and for the backends' {@link BackendTls}.
 */
public final class CertificateWatcher implements AutoCloseable {
  private final List<Path> files;
  private final BooleanSupplier reload;
  private final DirectoryWatch watch;
  private byte[] lastHash;
  private byte[] lastFailed;

  /** Watches the listener's certificate, key and client CA. */
  public CertificateWatcher(ServerTls tls) {
    this(
        Stream.of(tls.config().certFile(), tls.config().keyFile(), tls.config().clientCaFile())
            .filter(Objects::nonNull)
            .map(Path::toAbsolutePath)
            .toList(),
        tls::reload,
        "canary-tls");
  }

  /**
   * Watches {@code files}, calling {@code reload} (true when the new files were taken) on a change.
   *
   * @param threadPrefix names the watcher's thread ({@code PREFIX-watch})
   */
  public CertificateWatcher(List<Path> files, BooleanSupplier reload, String threadPrefix) {
    this.files = List.copyOf(files);
    this.reload = reload;
    this.watch = new DirectoryWatch(threadPrefix + "-watch", this::checkNow);
    this.lastHash = PemFiles.contentHash(this.files);
  }

  /** The files watched. */
  public List<Path> files() {
    return files;
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
    byte[] hash = PemFiles.contentHash(files);
    if (hash == null || Arrays.equals(hash, lastHash) || Arrays.equals(hash, lastFailed)) {
      return; // unchanged, mid-swap, or already refused: the next change is tried
    }
    if (reload.getAsBoolean()) {
      lastHash = hash;
    } else {
      lastFailed = hash; // a half-written pair: tried again once the second file lands
    }
  }

  @Override
  public void close() {
    watch.close();
  }
}
