package io.canaryproxy.testing;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.config.ConfigLoader;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A demo-like proxy for the operator-facing tests (dashboard, Prometheus): stub stable, canary and
 * shadow backends on port 0, a {@link CanaryProxy} with a control token, 20% mirroring and a
 * rollout judged every 500 ms that holds its first step, and light closed-loop load from a few
 * users.
 */
public final class LiveProxy implements AutoCloseable {
  /** The control token written to the token file. */
  public static final String TOKEN = "dashboard-test-token";

  private final StubServer stable;
  private final StubServer canary;
  private final StubServer shadow;
  private final CanaryProxy proxy;
  private final ClientLoad load;
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** Starts everything; {@code dir} receives the token and the rollout state file. */
  public LiveProxy(Path dir) throws Exception {
    stable = StubServer.start(StubServer.delayed(2, reply("stable")));
    canary = StubServer.start(StubServer.delayed(4, reply("canary")));
    shadow = StubServer.start(StubServer.delayed(2, reply("stable"))); // agrees with stable
    Path token = Files.writeString(dir.resolve("token"), TOKEN + "\n");
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0, tokenFile: "%s" }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
          shadow: { endpoints: ["%s"] }
        routing:
          userKey: [{ header: x-user-id }]
          salt: "live-proxy"
          exposeVariantHeader: true
        mirror: { to: shadow, percent: 20, sampleBy: request, from: [stable] }
        rollout:
          steps: [30, 100]
          stepInterval: 10m
          analysis:
            interval: 500ms
            minRequests: 5
            latency: { percentile: 90, maxRatio: 50 }
            errorRate: { maxIncrease: 0.5 }
            failureThreshold: 100
          onFailure: pause
          stateFile: "%s"
        """
            .formatted(
                token,
                stable.endpoint(),
                canary.endpoint(),
                shadow.endpoint(),
                dir.resolve("rollout-state.json"));
    proxy = new CanaryProxy(ConfigLoader.parse(yaml)).start();
    load =
        new ClientLoad(
            URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/"),
            2,
            200,
            Long.MAX_VALUE,
            Duration.ofMinutes(5));
  }

  private static StubServer.Behavior reply(String body) {
    return (ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, body + "\n");
  }

  public CanaryProxy proxy() {
    return proxy;
  }

  /** {@code http://127.0.0.1:PORT} of the admin listener. */
  public String adminUrl() {
    return "http://127.0.0.1:" + proxy.adminPort();
  }

  /** GET on the admin listener (loopback, so no token needed for reads). */
  public String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(adminUrl() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  /** Stops the client load (for a test that wants the numbers to settle); idempotent. */
  public void stopLoad() throws InterruptedException {
    load.close();
  }

  @Override
  public void close() throws Exception {
    load.close();
    proxy.close();
    shadow.close();
    canary.close();
    stable.close();
  }
}
