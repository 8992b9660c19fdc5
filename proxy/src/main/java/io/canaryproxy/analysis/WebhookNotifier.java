package io.canaryproxy.analysis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * POSTs each {@link RolloutEvent} as JSON to {@code rollout.webhook}, asynchronously: {@link
 * #onEvent} only queues. Events are delivered one at a time, in the order they happened (the next
 * is sent once the previous was answered or given up on), so a receiver sees a rollback after the
 * failure that caused it. Each attempt times out after 2 s; a failed attempt (an I/O error or a
 * non-2xx answer) is retried up to 3 times with exponential backoff from 500 ms. When 256 events
 * are already pending, a new one is dropped and logged. Runs on one daemon thread of its own;
 * {@link #close()} stops it.
 */
public final class WebhookNotifier implements RolloutEventListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(WebhookNotifier.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final URI uri;
  private final Duration timeout;
  private final int retries;
  private final Duration firstBackoff;
  private final int maxPending;
  private final ScheduledExecutorService executor;
  private final HttpClient client;
  private final AtomicInteger pending = new AtomicInteger();
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong dropped = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();

  /** Events waiting, the one in flight first; touched only on the executor's thread. */
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();

  private record Queued(byte[] body, RolloutEvent.Type type) {}

  /** A notifier for {@code uri} with the defaults above. */
  public WebhookNotifier(URI uri) {
    this(uri, Duration.ofSeconds(2), 3, Duration.ofMillis(500), 256);
  }

  /**
   * A notifier with explicit limits.
   *
   * @param timeout per attempt, for connecting and for the whole exchange
   * @param retries attempts after the first, 0 or more
   * @param firstBackoff wait before the first retry; doubled before each further one
   * @param maxPending events queued or in flight beyond which new events are dropped
   */
  public WebhookNotifier(
      URI uri, Duration timeout, int retries, Duration firstBackoff, int maxPending) {
    this.uri = Objects.requireNonNull(uri, "uri");
    this.timeout = Objects.requireNonNull(timeout, "timeout");
    this.retries = retries;
    this.firstBackoff = Objects.requireNonNull(firstBackoff, "firstBackoff");
    this.maxPending = maxPending;
    this.executor =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "rollout-webhook");
              t.setDaemon(true);
              return t;
            });
    this.client = HttpClient.newBuilder().connectTimeout(timeout).executor(executor).build();
  }

  @Override
  public void onEvent(RolloutEvent event) {
    if (pending.incrementAndGet() > maxPending) {
      pending.decrementAndGet();
      dropped.incrementAndGet();
      log.warn(
          "rollout webhook queue full ({} pending): dropped the {} event",
          maxPending,
          event.type().tag());
      return;
    }
    byte[] body;
    try {
      body = MAPPER.writeValueAsBytes(event);
    } catch (JsonProcessingException e) {
      pending.decrementAndGet();
      log.warn("could not serialize the {} rollout event", event.type().tag(), e);
      return;
    }
    Queued q = new Queued(body, event.type());
    try {
      executor.execute(
          () -> {
            queue.add(q);
            if (queue.size() == 1) {
              send(q, 0); // nothing in flight: this one goes now
            }
          });
    } catch (RejectedExecutionException e) {
      pending.decrementAndGet();
      log.debug("rollout webhook closed: {} event not sent", q.type().tag());
    }
  }

  /** Events POSTed successfully so far. */
  public long delivered() {
    return delivered.get();
  }

  /** Events dropped because too many were pending. */
  public long dropped() {
    return dropped.get();
  }

  /** Events given up on after every attempt failed. */
  public long failed() {
    return failed.get();
  }

  /** Stops the thread; pending events are abandoned. */
  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** The head of the queue is done (delivered or given up on): the next one goes. */
  private void next() {
    queue.poll();
    pending.decrementAndGet();
    Queued q = queue.peek();
    if (q != null) {
      send(q, 0);
    }
  }

  private void retryLater(Queued q, int attempt, Duration delay) {
    try {
      executor.schedule(() -> send(q, attempt), delay.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("rollout webhook closed: {} event not sent", q.type().tag());
    }
  }

  private void send(Queued q, int attempt) {
    HttpRequest request =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(q.body()))
            .build();
    client
        .sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .whenComplete(
            (response, error) -> {
              try {
                executor.execute(() -> answered(q, attempt, response, error));
              } catch (RejectedExecutionException e) {
                log.debug("rollout webhook closed after sending the {} event", q.type().tag());
              }
            });
  }

  private void answered(Queued q, int attempt, HttpResponse<Void> response, Throwable error) {
    if (error == null && response.statusCode() / 100 == 2) {
      delivered.incrementAndGet();
      next();
      return;
    }
    String why = error != null ? error.toString() : "status " + response.statusCode();
    if (attempt < retries) {
      Duration backoff = firstBackoff.multipliedBy(1L << attempt);
      log.debug(
          "rollout webhook attempt {} for {} failed ({}); retrying in {}",
          attempt + 1,
          q.type().tag(),
          why,
          backoff);
      retryLater(q, attempt + 1, backoff);
    } else {
      failed.incrementAndGet();
      log.warn(
          "rollout webhook to {} gave up on the {} event after {} attempts: {}",
          uri.getHost(),
          q.type().tag(),
          attempt + 1,
          why);
      next();
    }
  }
}
