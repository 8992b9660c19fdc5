package io.canaryproxy.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reloads {@link ServerTls} when its PEM files change, the way the config watcher follows the
 * config file: it watches the files' <em>directories</em> (a Kubernetes Secret volume swaps a
 * {@code ..data} symlink, which a watch on the file itself never sees), and a poll comparing one
 * hash over all the files backs the watch up. Checks run on the watcher's own thread; a change is
 * acted on only when the content differs from the last content seen.
 */
public final class CertificateWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CertificateWatcher.class);
  private static final int MAX_BYTES = 1 << 20;

  private final ServerTls tls;
  private final List<Path> files;
  private final ScheduledExecutorService executor;
  private byte[] lastHash;
  private byte[] lastFailed;
  private WatchService watch;
  private Thread watcher;

  public CertificateWatcher(ServerTls tls) {
    this.tls = tls;
    this.files =
        java.util.stream.Stream.of(
                tls.config().certFile(), tls.config().keyFile(), tls.config().clientCaFile())
            .filter(Objects::nonNull)
            .map(Path::toAbsolutePath)
            .toList();
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "canary-tls-reload");
              t.setDaemon(true);
              return t;
            });
    this.lastHash = hash();
  }

  /** Starts watching the directories and polling every {@code pollInterval}. */
  public synchronized void start(Duration pollInterval) throws IOException {
    watch = FileSystems.getDefault().newWatchService();
    Set<Path> dirs = new LinkedHashSet<>();
    files.forEach(f -> dirs.add(f.getParent()));
    for (Path dir : dirs) {
      dir.register(
          watch,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    }
    watcher = new Thread(this::watchLoop, "canary-tls-watch");
    watcher.setDaemon(true);
    watcher.start();
    long ms = pollInterval.toMillis();
    executor.scheduleWithFixedDelay(this::checkNow, ms, ms, TimeUnit.MILLISECONDS);
  }

  private void watchLoop() {
    try {
      while (true) {
        WatchKey key = watch.take();
        key.pollEvents();
        key.reset();
        check();
      }
    } catch (InterruptedException | ClosedWatchServiceException e) {
      // closed
    }
  }

  /** Re-reads the files now and reloads when they changed; safe from any thread. */
  public void check() {
    try {
      executor.execute(this::checkNow);
    } catch (RejectedExecutionException e) {
      // closed
    }
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
  public synchronized void close() {
    if (watch != null) {
      try {
        watch.close();
      } catch (IOException e) {
        log.debug("closing the tls watch: {}", e.toString());
      }
    }
    if (watcher != null) {
      watcher.interrupt();
    }
    executor.shutdownNow();
  }
}
