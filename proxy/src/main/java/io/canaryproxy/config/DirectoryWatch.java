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
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one check on a thread of its own whenever something changes in a set of directories, every
 * poll interval as a back-up, and whenever {@link #check()} asks. Files are followed through their
 * <em>directories</em>, not themselves: a Kubernetes ConfigMap or Secret volume updates by swapping
 * a {@code ..data} symlink, and a watch on the file itself sees one delete and then never fires
 * again (kubernetes#112677). The check decides for itself whether anything really changed (the
 * config and certificate watchers compare content hashes), so repeated events only cost repeated
 * checks.
 *
 * <p>One thread does everything: it waits for a directory event with the time left until the next
 * poll as its timeout, then runs the check (a burst of events is one check). {@link #check()} from
 * another thread wakes it with an interrupt, sent only while the thread is waiting, never while it
 * reads files. A sidecar runs one of these for its config (issue 20: one thread fewer).
 */
public final class DirectoryWatch implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(DirectoryWatch.class);

  private final String threadName;
  private final Runnable check;
  private final Object lock = new Object();
  private WatchService watch;
  private Thread thread;

  /** A check was asked for; guarded by {@link #lock}. */
  private boolean requested;

  /** The thread waits for an event and may be interrupted to wake it; guarded by {@link #lock}. */
  private boolean waiting;

  private volatile boolean closed;

  /**
   * @param threadName the one thread that waits for directory events and runs every check
   * @param check what to run on a change, a poll or a {@link #check()}; never run concurrently with
   *     itself
   */
  public DirectoryWatch(String threadName, Runnable check) {
    this.threadName = threadName;
    this.check = check;
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
    long pollNanos = pollInterval.toNanos();
    Thread t = new Thread(() -> loop(watch, pollNanos), threadName);
    t.setDaemon(true);
    synchronized (lock) {
      thread = t;
    }
    t.start();
  }

  private void loop(WatchService watch, long pollNanos) {
    long nextPoll = System.nanoTime() + pollNanos;
    try {
      while (!closed) {
        boolean wait;
        synchronized (lock) {
          wait = !requested;
          waiting = wait;
        }
        WatchKey key = null;
        if (wait) {
          long left = nextPoll - System.nanoTime();
          try {
            key = left > 0 ? watch.poll(left, TimeUnit.NANOSECONDS) : null;
          } catch (InterruptedException e) {
            // check() or close() woke us
          }
        }
        synchronized (lock) {
          waiting = false;
          Thread.interrupted(); // an interrupt sent after the wait ended must not hit the check
          requested = false;
        }
        if (closed) {
          return;
        }
        while (key != null) { // every event pending now is covered by the one check below
          key.pollEvents();
          key.reset();
          key = watch.poll();
        }
        if (System.nanoTime() - nextPoll >= 0) {
          nextPoll = System.nanoTime() + pollNanos;
        }
        runCheck();
      }
    } catch (ClosedWatchServiceException e) {
      // closed
    }
  }

  private void runCheck() {
    try {
      check.run();
    } catch (RuntimeException e) { // the next event or poll tries again
      log.error("{}: check failed", threadName, e);
    }
  }

  /**
   * Runs the check soon on the watch thread (once for any number of calls made while it waits).
   * Safe to call from any thread, any time; before {@link #start} it runs once the thread starts.
   */
  public void check() {
    synchronized (lock) {
      requested = true;
      if (waiting) {
        thread.interrupt();
      }
    }
  }

  @Override
  public synchronized void close() {
    closed = true;
    Thread t;
    synchronized (lock) {
      t = thread;
      if (waiting) {
        t.interrupt(); // a check under way finishes; closing the watch service wakes a wait too
      }
    }
    if (watch != null) {
      try {
        watch.close();
      } catch (IOException e) {
        log.debug("closing the watch of {}: {}", threadName, e.toString());
      }
    }
    if (t != null && t != Thread.currentThread()) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(2));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
