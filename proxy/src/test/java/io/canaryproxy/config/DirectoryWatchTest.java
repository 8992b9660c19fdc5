package io.canaryproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link DirectoryWatch} does its waiting and its checks on one thread (issue 20): a directory
 * event, a poll and a {@link DirectoryWatch#check()} each run the check there, and the interrupt
 * that wakes the thread for a {@code check()} never reaches a check that is reading a file.
 */
class DirectoryWatchTest {
  private static final Duration LONG_POLL = Duration.ofMinutes(10);

  @TempDir Path dir;

  private static long threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals(name))
        .count();
  }

  @Test
  void oneThreadRunsTheChecksForEventsAndForCheckCalls() throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "a");
    Set<String> ranOn = ConcurrentHashMap.newKeySet();
    AtomicInteger checks = new AtomicInteger();
    try (DirectoryWatch watch =
        new DirectoryWatch(
            "dw-one",
            () -> {
              ranOn.add(Thread.currentThread().getName());
              checks.incrementAndGet();
            })) {
      watch.start(List.of(file), LONG_POLL);
      assertThat(threadsNamed("dw-one")).isEqualTo(1);

      watch.check(); // as SIGHUP does, from another thread
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() >= 1);
      int afterCheck = checks.get();
      Files.writeString(file, "b"); // a directory event
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() > afterCheck);

      assertThat(ranOn).containsExactly("dw-one");
      assertThat(threadsNamed("dw-one")).isEqualTo(1);
    }
    assertThat(threadsNamed("dw-one")).as("close ends the thread").isZero();
  }

  @Test
  void pollsWhenNothingHappens() throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "a");
    AtomicInteger checks = new AtomicInteger();
    try (DirectoryWatch watch = new DirectoryWatch("dw-poll", checks::incrementAndGet)) {
      watch.start(List.of(file), Duration.ofMillis(50));
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() >= 3);
    }
  }

  @Test
  void aCheckAskedForWhileOneRunsRunsAgainAfterIt() throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "a");
    CountDownLatch inFirst = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger checks = new AtomicInteger();
    try (DirectoryWatch watch =
        new DirectoryWatch(
            "dw-again",
            () -> {
              if (checks.incrementAndGet() == 1) {
                inFirst.countDown();
                try {
                  release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                  throw new AssertionError("the running check was interrupted", e);
                }
              }
            })) {
      watch.start(List.of(file), LONG_POLL);
      watch.check();
      assertThat(inFirst.await(10, TimeUnit.SECONDS)).isTrue();
      watch.check(); // the file may have changed after the running check read it
      release.countDown();
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 2);
    }
  }

  /**
   * A check reads its file through an interruptible channel (as {@link ConfigFiles} does); an
   * interrupt meant to wake the waiting thread would close that channel and fail the read, or stay
   * pending for the check's next blocking call.
   */
  @Test
  void checkCallsFromOtherThreadsNeverInterruptARunningCheck() throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "x".repeat(64 * 1024));
    AtomicInteger reads = new AtomicInteger();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (DirectoryWatch watch =
        new DirectoryWatch(
            "dw-interrupt",
            () -> {
              try {
                for (int i = 0; i < 20; i++) {
                  Files.readAllBytes(file);
                }
                if (Thread.currentThread().isInterrupted()) {
                  failure.compareAndSet(null, new AssertionError("interrupted during a check"));
                }
                reads.incrementAndGet();
              } catch (IOException e) {
                failure.compareAndSet(null, e);
              }
            })) {
      watch.start(List.of(file), LONG_POLL);
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      while (reads.get() < 300 && failure.get() == null && System.nanoTime() < end) {
        watch.check();
      }
      assertThat(failure.get()).as("a read failed").isNull();
      assertThat(reads.get()).isGreaterThanOrEqualTo(300);
    }
  }

  @Test
  void aCheckThatThrowsDoesNotEndTheWatch() throws Exception {
    Path file = Files.writeString(dir.resolve("config.yaml"), "a");
    AtomicInteger checks = new AtomicInteger();
    try (DirectoryWatch watch =
        new DirectoryWatch(
            "dw-throws",
            () -> {
              checks.incrementAndGet();
              throw new IllegalStateException("boom (expected by the test)");
            })) {
      watch.start(List.of(file), LONG_POLL);
      watch.check();
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 1);
      watch.check();
      await().atMost(Duration.ofSeconds(10)).until(() -> checks.get() == 2);
    }
  }
}
