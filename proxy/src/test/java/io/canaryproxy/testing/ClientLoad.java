package io.canaryproxy.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Closed-loop load on a loopback URL for integration tests: a few threads send GETs back to back,
 * each with an {@code x-user-id} from a fixed population, until {@link #close()}, the request
 * budget or the time budget ends, whichever comes first.
 */
public final class ClientLoad implements AutoCloseable {
  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(2))
          .build();
  private final URI uri;
  private final int users;
  private final long maxRequests;
  private final long deadlineNanos;
  private final AtomicBoolean stop = new AtomicBoolean();
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong completed = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicLong canaryResponses = new AtomicLong();
  private final AtomicLong lastCanarySent = new AtomicLong(Long.MIN_VALUE);
  private final List<Thread> threads = new ArrayList<>();

  /**
   * Starts {@code threadCount} client threads against {@code uri}.
   *
   * @param users size of the user population, ids {@code u-0 .. u-(users-1)}
   * @param maxRequests total requests at most, over all threads
   * @param maxTime the threads stop on their own after this long
   */
  public ClientLoad(URI uri, int threadCount, int users, long maxRequests, Duration maxTime) {
    this.uri = uri;
    this.users = users;
    this.maxRequests = maxRequests;
    this.deadlineNanos = System.nanoTime() + maxTime.toNanos();
    for (int i = 0; i < threadCount; i++) {
      int offset = i * users / threadCount;
      Thread t = new Thread(() -> run(offset), "client-load-" + i);
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
  }

  private void run(long first) {
    long n = first;
    while (!stop.get()
        && System.nanoTime() < deadlineNanos
        && sent.incrementAndGet() <= maxRequests) {
      String user = "u-" + (n++ * 7919 % users);
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(5))
              .header("x-user-id", user)
              .GET()
              .build();
      long sentAt = System.nanoTime();
      try {
        HttpResponse<Void> response = client.send(request, HttpResponse.BodyHandlers.discarding());
        if ("canary".equals(response.headers().firstValue("x-canary-variant").orElse(null))) {
          canaryResponses.incrementAndGet();
          lastCanarySent.accumulateAndGet(sentAt, Math::max);
        }
        completed.incrementAndGet();
      } catch (java.io.IOException e) {
        failed.incrementAndGet();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Requests answered (any status). */
  public long completed() {
    return completed.get();
  }

  /** Requests that got no answer (connection errors, timeouts). */
  public long failed() {
    return failed.get();
  }

  /** Answers that said {@code x-canary-variant: canary}. */
  public long canaryResponses() {
    return canaryResponses.get();
  }

  /**
   * When the latest request answered by the canary was sent, in {@link System#nanoTime()} units;
   * {@link Long#MIN_VALUE} before the first.
   */
  public long lastCanarySentNanos() {
    return lastCanarySent.get();
  }

  /** Stops the threads and waits for them. */
  @Override
  public void close() throws InterruptedException {
    stop.set(true);
    for (Thread t : threads) {
      t.join(10_000);
    }
  }
}
