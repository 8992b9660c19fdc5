package io.canaryproxy.config;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one check on a thread of its own whenever something changes in a set of directories, and
 * every poll interval as a back-up. Files are followed through their <em>directories</em>, not
 * themselves: a Kubernetes ConfigMap or Secret volume updates by swapping a {@code ..data} symlink,
 * and a watch on the file itself sees one delete and then never fires again (kubernetes#112677).
 * The check decides for itself whether anything really changed (the config and certificate watchers
 * compare content hashes), so repeated events only cost repeated checks.
 */
public final class DirectoryWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectoryWatch.class);

  private final String watchThreadName;
  private final Runnable check;
  private final ScheduledExecutorService executor;
  private WatchService watch;
  private Thread watcher;

  /**
   * @param checkThreadName the thread that runs every check
   * @param watchThreadName the thread that waits for directory events
   * @param check what to run on a change or a poll; never run concurrently with itself
   */
  public DirectoryWatch(String checkThreadName, String watchThreadName, Runnable check) {
    this.watchThreadName = watchThreadName;
    this.check = check;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, checkThreadName);
              t.setDaemon(true);
              return t;
            });
  }

  /** Starts watching the directories of {@code files} and polling every {@code pollInterval}. */
  public synchronized void start(Collection<Path> files, Duration pollInterval) throws IOException {
    watch = FileSystems.getDefault().newWatchService();
    LinkedHashSet<Path> dirs = new LinkedHashSet<>();
    files.forEach(f -> dirs.add(f.toAbsolutePath().getParent()));
    for (Path dir : dirs) {
      dir.register(
          watch,
          StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_MODIFY,
          StandardWatchEventKinds.ENTRY_DELETE);
    }
    watcher = new Thread(this::watchLoop, watchThreadName);
    watcher.setDaemon(true);
    watcher.start();
    long ms = pollInterval.toMillis();
    executor.scheduleWithFixedDelay(check, ms, ms, TimeUnit.MILLISECONDS);
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

  /** Runs the check now, on the check thread. Safe to call from any thread, any time. */
  public void check() {
    try {
      executor.execute(check);
    } catch (RejectedExecutionException e) {
      // closed
    }
  }

  @Override
  public synchronized void close() {
    if (watch != null) {
      try {
        watch.close();
      } catch (IOException e) {
        log.debug("closing the watch of {}: {}", watchThreadName, e.toString());
      }
    }
    if (watcher != null) {
      watcher.interrupt();
    }
    executor.shutdownNow();
  }
}
