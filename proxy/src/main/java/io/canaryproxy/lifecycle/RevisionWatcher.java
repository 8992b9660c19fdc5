package io.canaryproxy.lifecycle;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.analysis.RolloutController;
import io.canaryproxy.config.LifecycleConfig.RevisionConfig;
import io.canaryproxy.forwarding.Exchange;
import io.canaryproxy.forwarding.ProxyListener;
import io.canaryproxy.routing.Variant;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the {@link RolloutController} the canary's revision ({@code rollout.revision}): from the
 * configured header of canary responses (as a {@link ProxyListener}; the event loop only compares
 * with the last value seen and hands a change to the lifecycle thread), or from a field of the JSON
 * at {@code url}, polled every {@code interval}. The controller decides whether a change starts a
 * new rollout.
 */
public final class RevisionWatcher implements ProxyListener {
  private static final Logger log = LoggerFactory.getLogger(RevisionWatcher.class);
  private static final ObjectMapper MAPPER = new ObjectMapper();

  private final RevisionConfig config;
  private final RolloutController controller;
  private final ScheduledExecutorService executor;
  private final HttpClient client;
  private volatile String last;

  public RevisionWatcher(
      RevisionConfig config,
      RolloutController controller,
      ScheduledExecutorService executor,
      HttpClient client) {
    this.config = config;
    this.controller = controller;
    this.executor = executor;
    this.client = client;
  }

  /** Starts polling {@code url}; nothing to start in header mode. */
  public void start() {
    if (config.url() != null) {
      executor.scheduleWithFixedDelay(
          this::poll, 0, config.interval().toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  @Override
  public void onExchangeComplete(Exchange exchange) {
    String r = exchange.revision;
    if (r != null && exchange.variant() == Variant.CANARY) {
      observe(r);
    }
  }

  /** Hands {@code revision} to the controller when it differs from the last one seen. */
  void observe(String revision) {
    if (revision.equals(last)) {
      return;
    }
    last = revision;
    try {
      executor.execute(() -> controller.onRevision(revision));
    } catch (RejectedExecutionException e) {
      // closing
    }
  }

  private void poll() {
    Duration timeout =
        config.interval().compareTo(Duration.ofSeconds(5)) < 0
            ? config.interval()
            : Duration.ofSeconds(5);
    HttpRequest request = HttpRequest.newBuilder(config.url()).timeout(timeout).GET().build();
    client
        .sendAsync(request, HttpResponse.BodyHandlers.ofString())
        .whenComplete(
            (response, error) -> {
              if (error != null || response.statusCode() / 100 != 2) {
                log.debug(
                    "revision poll of {} failed: {}",
                    config.url().getHost(),
                    error != null ? error.toString() : "status " + response.statusCode());
                return;
              }
              try {
                JsonNode field = MAPPER.readTree(response.body()).path(config.jsonField());
                if (field.isValueNode() && !field.isNull()) {
                  observe(field.asText());
                } else {
                  log.debug("revision poll: no field {} in the answer", config.jsonField());
                }
              } catch (IOException e) {
                log.debug("revision poll: the answer is not JSON", e);
              }
            });
  }
}
