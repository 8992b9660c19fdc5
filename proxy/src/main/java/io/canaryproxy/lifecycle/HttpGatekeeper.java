package io.canaryproxy.lifecycle;

import io.canaryproxy.analysis.GateStage;
import io.canaryproxy.analysis.Gatekeeper;
import io.canaryproxy.config.LifecycleConfig.Gate;
import io.canaryproxy.config.LifecycleConfig.GatesConfig;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Asks {@code rollout.gates} over HTTP: each gate gets a POST with {@code {"gate": "<stage>"}} and
 * passes on a 2xx answer. A failed attempt (an I/O error, a timeout or another status) is retried
 * up to the gate's {@code retries}, 250 ms apart and doubling; a round passes when every gate of
 * the stage passed, one after the other. After a failed round the next one starts {@code
 * roundPause} later, until one passes or the wait is cancelled.
 */
public final class HttpGatekeeper implements Gatekeeper {
  private static final Duration FIRST_BACKOFF = Duration.ofMillis(250);

  private final GatesConfig config;
  private final ScheduledExecutorService executor;
  private final HttpClient client;
  private final Duration roundPause;

  public HttpGatekeeper(
      GatesConfig config,
      ScheduledExecutorService executor,
      HttpClient client,
      Duration roundPause) {
    this.config = config;
    this.executor = executor;
    this.client = client;
    this.roundPause = roundPause;
  }

  private List<Gate> gates(GateStage stage) {
    return switch (stage) {
      case PRE_ROLLOUT -> config.preRollout();
      case PRE_STEP -> config.preStep();
      case PRE_PROMOTION -> config.prePromotion();
    };
  }

  @Override
  public boolean has(GateStage stage) {
    return !gates(stage).isEmpty();
  }

  @Override
  public Wait await(GateStage stage, Listener listener) {
    AtomicBoolean cancelled = new AtomicBoolean();
    schedule(() -> round(stage, listener, cancelled), Duration.ZERO, cancelled);
    return () -> cancelled.set(true);
  }

  private void round(GateStage stage, Listener listener, AtomicBoolean cancelled) {
    List<Gate> gates = gates(stage);
    CompletableFuture<String> chain = CompletableFuture.completedFuture(null);
    for (Gate gate : gates) {
      chain =
          chain.thenCompose(
              failure ->
                  failure != null || cancelled.get()
                      ? CompletableFuture.completedFuture(failure)
                      : attempt(stage, gate, 0));
    }
    chain.whenComplete(
        (failure, error) -> {
          if (cancelled.get()) {
            return;
          }
          if (error == null && failure == null) {
            cancelled.set(true);
            listener.passed(gates.size() + " gate(s) answered 2xx");
            return;
          }
          listener.failed(error != null ? error.toString() : failure);
          schedule(() -> round(stage, listener, cancelled), roundPause, cancelled);
        });
  }

  /** Completes with {@code null} when {@code gate} answered 2xx, else with why it did not. */
  private CompletableFuture<String> attempt(GateStage stage, Gate gate, int attempt) {
    HttpRequest request =
        HttpRequest.newBuilder(gate.url())
            .timeout(gate.timeout())
            .header("Content-Type", "application/json")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "{\"gate\":\"" + stage.jsonName() + "\"}", StandardCharsets.UTF_8))
            .build();
    return client
        .sendAsync(request, HttpResponse.BodyHandlers.discarding())
        .handle(
            (response, error) -> {
              if (error == null && response.statusCode() / 100 == 2) {
                return (String) null;
              }
              return gate.url().getHost()
                  + gate.url().getRawPath()
                  + ": "
                  + (error == null
                      ? "status " + response.statusCode()
                      : isTimeout(error) ? "timed out after " + gate.timeout() : error.toString());
            })
        .thenCompose(
            failure -> {
              if (failure == null || attempt >= gate.retries()) {
                return CompletableFuture.completedFuture(failure);
              }
              CompletableFuture<String> retry = new CompletableFuture<>();
              Duration backoff = FIRST_BACKOFF.multipliedBy(1L << Math.min(attempt, 10));
              try {
                executor.schedule(
                    () ->
                        attempt(stage, gate, attempt + 1)
                            .whenComplete(
                                (f, e) -> {
                                  if (e != null) {
                                    retry.completeExceptionally(e);
                                  } else {
                                    retry.complete(f);
                                  }
                                }),
                    backoff.toMillis(),
                    TimeUnit.MILLISECONDS);
              } catch (RejectedExecutionException e) {
                retry.complete(failure);
              }
              return retry;
            });
  }

  private static boolean isTimeout(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof HttpTimeoutException) {
        return true;
      }
    }
    return false;
  }

  private void schedule(Runnable task, Duration delay, AtomicBoolean cancelled) {
    try {
      executor.schedule(
          () -> {
            if (!cancelled.get()) {
              task.run();
            }
          },
          delay.toMillis(),
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // the proxy is closing
    }
  }
}
