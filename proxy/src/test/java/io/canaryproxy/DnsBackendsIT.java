package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.StubServer;
import io.canaryproxy.testing.TestDnsServer;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backends given by DNS name, end to end: a real DNS server on a loopback UDP port answers for a
 * "headless Service" whose "pods" are stubs on 127.0.0.1 and 127.0.0.2 (all of 127/8 is loopback on
 * Linux), sharing one port as pods do.
 */
class DnsBackendsIT {
  private static final String APP = "app.shop.test";

  private final HttpClient client =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private TestDnsServer dns;
  private CanaryProxy proxy;

  @BeforeEach
  void startDns() throws InterruptedException {
    dns = TestDnsServer.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    for (AutoCloseable c : closeables) {
      c.close();
    }
    dns.close();
  }

  /** Answers 200 with its name in {@code x-backend}; {@code /slow} after 1.5 s. */
  private static StubServer.Behavior pod(String name) {
    return (ctx, req) -> {
      long delay = req.uri().equals("/slow") ? 1500 : 0;
      StubServer.delayed(
              delay,
              (ChannelHandlerContext c, StubServer.Received r) ->
                  StubServer.reply(c, HttpResponseStatus.OK, name, "x-backend", name))
          .respond(ctx, req);
    };
  }

  /** Two pods on 127.0.0.1 and 127.0.0.2, on the same port. */
  private StubServer[] pods() throws InterruptedException {
    for (int attempt = 0; ; attempt++) {
      StubServer a = StubServer.startOn("127.0.0.1", 0, pod("a"));
      try {
        StubServer b = StubServer.startOn("127.0.0.2", a.port(), pod("b"));
        closeables.add(a);
        closeables.add(b);
        return new StubServer[] {a, b};
      } catch (Exception e) { // the port is taken on 127.0.0.2: try another
        a.close();
        if (attempt == 4) {
          throw new IllegalStateException("no port free on both 127.0.0.1 and 127.0.0.2", e);
        }
      }
    }
  }

  private CanaryProxy start(String backends, String extra) throws Exception {
    String yaml =
        """
        listen: 127.0.0.1:0
        ioThreads: 2
        admin: { listen: 127.0.0.1:0 }
        backends:
        %s
        routing: { canaryPercent: 0 }
        dns: { servers: ["%s"], minTtl: 200ms, maxTtl: 2s, queryTimeout: 500ms }
        %s
        """
            .formatted(backends.indent(2).stripTrailing(), dns.address(), extra);
    proxy = new CanaryProxy(ConfigLoader.parse(yaml)).start();
    return proxy;
  }

  /** A proxy whose stable backend is {@code endpoint}; the canary (0%) is never used. */
  private void startWithStable(String endpoint) throws Exception {
    start(
        "stable: { endpoints: [\"%s\"] }\ncanary: { endpoints: [\"127.0.0.1:1\"] }"
            .formatted(endpoint),
        "");
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxyPort() + path))
            .timeout(Duration.ofSeconds(10))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private String admin(String path) throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
                .build(),
            HttpResponse.BodyHandlers.ofString())
        .body();
  }

  private Map<String, Integer> answeredBy(int requests) throws Exception {
    Map<String, Integer> by = new HashMap<>();
    for (int i = 0; i < requests; i++) {
      HttpResponse<String> r = get("/item/" + i);
      assertThat(r.statusCode()).isEqualTo(200);
      by.merge(r.headers().firstValue("x-backend").orElse("?"), 1, Integer::sum);
    }
    return by;
  }

  @Test
  void requestsAreSpreadOverEveryAddressOfTheName() throws Exception {
    StubServer[] pods = pods();
    dns.set(APP, 5, "127.0.0.1", "127.0.0.2");
    start(
        "stable: { endpoints: [\"%s:%d\"] }\ncanary: { endpoints: [\"%s:%d\"] }"
            .formatted(APP, pods[0].port(), APP, pods[0].port()),
        "");

    Map<String, Integer> by = answeredBy(200);

    assertThat(by.keySet()).containsExactlyInAnyOrder("a", "b");
    assertThat(by.get("a")).isGreaterThan(40);
    assertThat(by.get("b")).isGreaterThan(40);
    assertThat(admin("/admin/endpoints"))
        .contains("\"127.0.0.1:" + pods[0].port() + "\"", "\"127.0.0.2:" + pods[0].port() + "\"");
  }

  @Test
  void anAddressThatLeavesTheAnswerIsDrainedWithoutFailingItsRequest() throws Exception {
    StubServer[] pods = pods();
    dns.set(APP, 1, "127.0.0.1", "127.0.0.2");
    startWithStable(APP + ":" + pods[0].port());
    answeredBy(50); // warm keep-alive connections to both pods
    CompletableFuture<HttpResponse<String>> slow =
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/slow"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () ->
                pods[0].received().stream().anyMatch(r -> r.uri().equals("/slow"))
                    || pods[1].received().stream().anyMatch(r -> r.uri().equals("/slow")));
    boolean leavingIsA = pods[0].received().stream().anyMatch(r -> r.uri().equals("/slow"));
    StubServer leaving = leavingIsA ? pods[0] : pods[1];
    String staying = leavingIsA ? "b" : "a";

    dns.set(
        APP,
        1,
        leavingIsA ? "127.0.0.2" : "127.0.0.1"); // the pod of the slow request is going away
    String leavingIp = leavingIsA ? "127.0.0.1" : "127.0.0.2";
    await()
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () ->
                assertThat(admin("/admin/endpoints"))
                    .doesNotContain("\"" + leavingIp + ":" + pods[0].port() + "\""));
    int connectionsBefore = leaving.connections();

    Map<String, Integer> by = answeredBy(50);
    HttpResponse<String> slowResponse = slow.get();

    assertThat(by).containsOnlyKeys(staying);
    assertThat(slowResponse.statusCode()).isEqualTo(200);
    assertThat(slowResponse.body()).isEqualTo(leavingIsA ? "a" : "b");
    assertThat(leaving.connections()).isEqualTo(connectionsBefore); // no new connection to it
    // its idle connections were closed at once, the busy one when its request ended
    await().atMost(Duration.ofSeconds(5)).until(() -> leaving.openConnections() == 0);
  }

  @Test
  void aNameThatDoesNotResolveYetAnswers503ThenServes() throws Exception {
    StubServer late = StubServer.named("late");
    closeables.add(late);
    startWithStable("late.shop.test:" + late.port());

    HttpResponse<String> before = get("/");
    assertThat(before.statusCode()).isEqualTo(503);
    assertThat(before.headers().firstValue("x-canary-proxy-error")).hasValue("no_endpoints");
    assertThat(admin("/metrics"))
        .contains("canary_proxy_dns_resolutions_total{outcome=\"failure\"}");

    dns.set("late.shop.test", 5, "127.0.0.1");

    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(100))
        .untilAsserted(() -> assertThat(get("/").statusCode()).isEqualTo(200));
  }

  @Test
  void aNameServerOutageKeepsTheLastAddressesServing() throws Exception {
    StubServer[] pods = pods();
    dns.set(APP, 1, "127.0.0.1", "127.0.0.2");
    startWithStable(APP + ":" + pods[0].port());

    dns.failAll(true);
    int failuresSeenAt = dns.questions(APP);
    await().atMost(Duration.ofSeconds(10)).until(() -> dns.questions(APP) >= failuresSeenAt + 2);

    Map<String, Integer> by = answeredBy(100);
    assertThat(by.keySet()).containsExactlyInAnyOrder("a", "b");
    assertThat(admin("/admin/endpoints")).contains("\"failures\"").doesNotContain("\"failures\":0");
  }

  @Test
  void localhostIsAUsableEndpointName() throws Exception {
    StubServer local = StubServer.named("local");
    closeables.add(local);
    // The system's own resolver configuration; /etc/hosts answers for localhost.
    String yaml =
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["localhost:%d"] }
          canary: { endpoints: ["localhost:%d"] }
        routing: { canaryPercent: 50, userKey: [ { header: x-user-id } ] }
        """
            .formatted(local.port(), local.port());
    proxy = new CanaryProxy(ConfigLoader.parse(yaml)).start();

    HttpResponse<String> r = get("/");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("local\n");
    assertThat(admin("/admin/endpoints"))
        .contains("\"localhost:" + local.port() + "\"", "\"127.0.0.1:" + local.port() + "\"");
  }

  @Test
  void aShadowGivenByNameGetsItsCopies() throws Exception {
    StubServer stable = StubServer.named("stable");
    StubServer shadow = StubServer.named("shadow");
    closeables.add(stable);
    closeables.add(shadow);
    dns.set("shadow.shop.test", 5, "127.0.0.1");
    start(
        "stable: { endpoints: [\"%s\"] }\ncanary: { endpoints: [\"127.0.0.1:1\"] }\nshadow: { endpoints: [\"shadow.shop.test:%d\"] }"
            .formatted(stable.endpoint(), shadow.port()),
        "mirror: { to: shadow, percent: 100 }");

    for (int i = 0; i < 5; i++) {
      assertThat(get("/copy/" + i).statusCode()).isEqualTo(200);
    }

    await().atMost(Duration.ofSeconds(5)).until(() -> shadow.received().size() == 5);
    assertThat(shadow.received())
        .allSatisfy(r -> assertThat(r.header("x-canary-mirror")).isEqualTo("1"));
  }

  @Test
  void aShadowPodThatLeavesTheAnswerLosesItsIdleConnectionBeforeAnyOtherCopy() throws Exception {
    StubServer stable = StubServer.named("stable");
    closeables.add(stable);
    StubServer[] shadowPods = pods();
    dns.set("shadow.shop.test", 1, "127.0.0.1");
    start(
        "stable: { endpoints: [\"%s\"] }\ncanary: { endpoints: [\"127.0.0.1:1\"] }\nshadow: { endpoints: [\"shadow.shop.test:%d\"] }"
            .formatted(stable.endpoint(), shadowPods[0].port()),
        "mirror: { to: shadow, percent: 100 }");
    assertThat(get("/copy").statusCode()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(5))
        .until(() -> shadowPods[0].received().size() == 1 && shadowPods[0].openConnections() == 1);

    dns.set("shadow.shop.test", 1, "127.0.0.2"); // the shadow pod moved

    // The shadow pools hear the directory: the idle copy connection to the departed pod closes
    // with no further request (the backend idle timeout is 60 s, far beyond this wait).
    await().atMost(Duration.ofSeconds(10)).until(() -> shadowPods[0].openConnections() == 0);
    assertThat(get("/copy/2").statusCode()).isEqualTo(200);
    await().atMost(Duration.ofSeconds(5)).until(() -> shadowPods[1].received().size() == 1);
    assertThat(shadowPods[0].received()).hasSize(1);
  }
}
