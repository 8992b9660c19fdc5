package io.canaryproxy.demo;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The demo's own traffic: about {@code rate} GET requests per second to the proxy, each from one of
 * {@code users} synthetic users ({@code x-user-id: user-N}), sent asynchronously on a 10 ms tick.
 * At most 256 requests are in flight; a tick that finds none free skips its requests, so a slow
 * proxy is never flooded. Runs until {@link #close()}.
 */
public final class DemoLoad implements AutoCloseable {
  private static final long TICK_MILLIS = 10;
  private static final int MAX_IN_FLIGHT = 256;

  private final URI uri;
  private final int users;
  private final double perTick;
  private final HttpClient client;
  private final ScheduledExecutorService ticker;
  private final Semaphore inFlight = new Semaphore(MAX_IN_FLIGHT);
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private double carry;

  /**
   * Starts sending.
   *
   * @param uri the proxy URL to request, on a loopback address
   * @param rate requests per second, greater than 0
   * @param users size of the user population, greater than 0
   */
  public DemoLoad(URI uri, double rate, int users) {
    if (rate <= 0 || users <= 0) {
      throw new IllegalArgumentException(
          "load: " + rate + " req/s from " + users + " users (expected: > 0)");
    }
    this.uri = uri;
    this.users = users;
    this.perTick = rate * TICK_MILLIS / 1000.0;
    this.ticker =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "demo-load");
              t.setDaemon(true);
              return t;
            });
    this.client =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .executor(ticker)
            .build();
    ticker.scheduleAtFixedRate(this::tick, 0, TICK_MILLIS, TimeUnit.MILLISECONDS);
  }

  private void tick() {
    carry += perTick;
    while (carry >= 1) {
      carry--;
      if (!inFlight.tryAcquire()) {
        continue;
      }
      String user = "user-" + ThreadLocalRandom.current().nextInt(users);
      HttpRequest request =
          HttpRequest.newBuilder(uri)
              .timeout(Duration.ofSeconds(5))
              .header("x-user-id", user)
              .GET()
              .build();
      sent.incrementAndGet();
      client
          .sendAsync(request, HttpResponse.BodyHandlers.discarding())
          .whenComplete(
              (response, error) -> {
                inFlight.release();
                if (error != null) {
                  failed.incrementAndGet();
                }
              });
    }
  }

  /** Requests sent so far. */
  public long sent() {
    return sent.get();
  }

  /** Requests that got no response (connection errors, timeouts). */
  public long failed() {
    return failed.get();
  }

  /** Stops sending; requests in flight are abandoned. */
  @Override
  public void close() {
    ticker.shutdownNow();
  }
}
