package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.config.ConfigFiles;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ConfigWatcher;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.SpecialFiles;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Hot reload the way Kubernetes delivers a ConfigMap: an atomic swap of the {@code ..data} symlink.
 */
class ConfigReloadIT {
  @TempDir Path dir;

  private final HttpClient client =
      HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StubServer stable;
  private StubServer canary;
  private StubServer legacy;
  private CanaryProxy proxy;
  private int generation;

  @BeforeEach
  void start() throws Exception {
    stable =
        StubServer.start(
            (ctx, req) -> {
              long delay = req.uri().equals("/slow") ? 1500 : 0;
              StubServer.delayed(
                      delay, (c, r) -> StubServer.reply(c, HttpResponseStatus.OK, "stable"))
                  .respond(ctx, req);
            });
    canary = StubServer.named("canary");
    legacy = StubServer.named("legacy");
    publish(config(0, false));
    Path file = dir.resolve("config.yaml");
    proxy = new CanaryProxy(ConfigLoader.load(file)).start();
    proxy.watchConfig(file);
  }

  @AfterEach
  void stop() {
    proxy.close();
    stable.close();
    canary.close();
    legacy.close();
  }

  private String config(double canaryPercent, boolean legacyRule) {
    return """
        listen: 127.0.0.1:0
        ioThreads: 2
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        %s
        metrics: { interval: 200ms }
        routing:
          userKey: [ { header: x-user-id } ]
          canaryPercent: %s
        %s
        """
        .formatted(
            stable.endpoint(),
            canary.endpoint(),
            legacyRule ? "  legacy: { endpoints: [\"" + legacy.endpoint() + "\"] }" : "",
            canaryPercent,
            legacyRule ? "  rules: [ { match: { path: { prefix: /legacy/ } }, to: legacy } ]" : "");
  }

  /**
   * Writes a new timestamped directory and swaps {@code ..data} to it in one rename, as the kubelet
   * does.
   */
  private void publish(String yaml) throws Exception {
    publish(file -> Files.writeString(file, yaml));
  }

  /** Makes a file at a given path: a regular one, a FIFO, a symlink. */
  @FunctionalInterface
  private interface FileMaker {
    void make(Path file) throws Exception;
  }

  /** As {@link #publish(String)}, with {@code config.yaml} made by {@code maker}. */
  private void publish(FileMaker maker) throws Exception {
    Path version = Files.createDirectory(dir.resolve("..2026_11_26_" + generation++));
    maker.make(version.resolve("config.yaml"));
    Path tmp = dir.resolve("..data_tmp");
    Files.deleteIfExists(tmp);
    Files.createSymbolicLink(tmp, version.getFileName());
    Files.move(
        tmp,
        dir.resolve("..data"),
        StandardCopyOption.ATOMIC_MOVE,
        StandardCopyOption.REPLACE_EXISTING);
    Path link = dir.resolve("config.yaml");
    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(link, Path.of("..data", "config.yaml"));
    }
  }

  private String get(String path, String user) throws Exception {
    HttpResponse<String> r =
        client.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxyPort() + path))
                .header("x-user-id", user)
                .build(),
            BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return r.body().trim();
  }

  private String metrics() throws Exception {
    return client
        .send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + "/metrics"))
                .build(),
            BodyHandlers.ofString())
        .body();
  }

  @Test
  void newConfigIsLiveWithinTwoSecondsAndInFlightRequestsFinish() throws Exception {
    assertThat(get("/", "u1")).isEqualTo("stable");
    CompletableFuture<HttpResponse<String>> inFlight =
        client.sendAsync(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.proxyPort() + "/slow"))
                .header("x-user-id", "u1")
                .build(),
            BodyHandlers.ofString());
    await().until(() -> stable.received().stream().anyMatch(r -> r.uri().equals("/slow")));

    publish(config(100, true));
    await().atMost(Duration.ofSeconds(2)).until(() -> get("/", "u1").equals("canary"));
    assertThat(get("/legacy/a", "u1")).as("a backend added by the reload").isEqualTo("legacy");
    assertThat(inFlight.get().statusCode()).isEqualTo(200);
    assertThat(inFlight.get().body()).isEqualTo("stable");
    assertThat(metrics()).contains("canary_proxy_config_reloads_total{outcome=\"success\"} 1.0");
  }

  @Test
  void adminConfigShowsTheLiveConfigAfterAReload() throws Exception {
    publish(config(20, false).replace("interval: 200ms", "interval: 300ms"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> metrics().contains("canary_proxy_config_reloads_total{outcome=\"success\"} 1.0"));

    var shown =
        new ObjectMapper()
            .readTree(
                client
                    .send(
                        HttpRequest.newBuilder(
                                URI.create(
                                    "http://127.0.0.1:" + proxy.adminPort() + "/admin/config"))
                            .build(),
                        BodyHandlers.ofString())
                    .body());
    assertThat(shown.at("/routing/canaryPercent").asDouble()).isEqualTo(20.0);
    // metrics applies only on restart: the page shows the interval that is running, not the file's
    assertThat(shown.at("/metrics/interval").asText()).isEqualTo("200ms");
  }

  @Test
  void invalidConfigLeavesTheOldOneServingAndIsCounted() throws Exception {
    publish(config(100, false));
    // set-up, not what is tested (the first test holds the 2 s re-read): room for a loaded machine
    await().atMost(Duration.ofSeconds(10)).until(() -> get("/", "u1").equals("canary"));
    publish(config(100, false).replace("canaryPercent: 100.0", "canaryPercent: 140"));
    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> metrics().contains("canary_proxy_config_reloads_total{outcome=\"failure\"} 1.0"));
    assertThat(get("/", "u1")).isEqualTo("canary");
  }

  @Test
  void fiftyRapidReloadsUnderLoadCauseNoErrorsAndLeakNoFilesOrThreads() throws Exception {
    get("/", "warm");
    long fdsBefore = openFiles();
    long threadsBefore = proxyThreads();
    AtomicBoolean running = new AtomicBoolean(true);
    AtomicInteger ok = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    Thread load =
        new Thread(
            () -> {
              // One keep-alive connection, so the client side adds no sockets or threads of its
              // own.
              try (RawHttp raw = new RawHttp(proxy.proxyPort())) {
                for (int i = 0; running.get() && i < 20_000; i++) {
                  int status =
                      raw.send("GET / HTTP/1.1\r\nHost: a\r\nx-user-id: user-" + i + "\r\n\r\n")
                          .read()
                          .status();
                  (status == 200 ? ok : failed).incrementAndGet();
                }
              } catch (Exception e) {
                failed.incrementAndGet();
              }
            });
    load.start();
    for (int i = 0; i < 50; i++) {
      long applied = successfulReloads();
      publish(config(i % 2 == 0 ? 100 : 0, i % 3 == 0));
      await().atMost(Duration.ofSeconds(5)).until(() -> successfulReloads() > applied);
    }
    publish(config(100, false));
    await().atMost(Duration.ofSeconds(5)).until(() -> get("/", "settled").equals("canary"));
    running.set(false);
    load.join();
    assertThat(failed.get()).isZero();
    assertThat(ok.get()).isPositive();
    // Let the closed connections and watch events settle; counts must come back near where they
    // were.
    await()
        .atMost(Duration.ofSeconds(5))
        .alias(
            "open files (before "
                + fdsBefore
                + ") and proxy threads (before "
                + threadsBefore
                + ")")
        // 50 reloads leaking a thread or a socket each would be far beyond this slack.
        .until(() -> openFiles() <= fdsBefore + 10 && proxyThreads() <= threadsBefore + 2);
  }

  /** A config.yaml that cannot be read, of the given kind. */
  private FileMaker unreadable(String kind) {
    return switch (kind) {
      case "symlink to /dev/zero" -> SpecialFiles::devZero;
      case "FIFO" -> SpecialFiles::fifo;
      // Valid YAML that would move every user to stable, but 8 MiB long.
      case "file over 1 MiB" ->
          file ->
              Files.writeString(
                  file,
                  config(0, false) + "#" + "x".repeat(8 * ConfigFiles.MAX_CONFIG_BYTES) + "\n");
      default -> throw new IllegalArgumentException(kind);
    };
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"symlink to /dev/zero", "FIFO", "file over 1 MiB"})
  void aConfigThatBecomesUnreadableKeepsTheOldOneServing(String kind) throws Exception {
    FileMaker maker = unreadable(kind);
    publish(config(100, false));
    // set-up, not what is tested (the first test holds the 2 s re-read): room for a loaded machine
    await().atMost(Duration.ofSeconds(10)).until(() -> get("/", "u1").equals("canary"));

    publish(maker);

    await()
        .atMost(Duration.ofSeconds(5))
        .until(
            () -> metrics().contains("canary_proxy_config_reloads_total{outcome=\"failure\"} 1.0"));
    assertThat(get("/", "u1")).as("the old config still routes").isEqualTo("canary");
    // The watcher is not stuck on the bad file: the next good version goes live.
    publish(config(0, false));
    await().atMost(Duration.ofSeconds(5)).until(() -> get("/", "u1").equals("stable"));
    assertThat(metrics())
        .as("the bad file is reported once, however often it is polled")
        .contains("canary_proxy_config_reloads_total{outcome=\"failure\"} 1.0");
  }

  @Test
  void aSlowReloadDoesNotHoldUpTheMetricsIntervals() throws Exception {
    synchronized (proxy) {
      // reload() is synchronized on the proxy: while this test holds the lock, the reload blocks.
      publish(config(100, false));
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  Thread.getAllStackTraces().keySet().stream()
                      .anyMatch(
                          t ->
                              t.getName().equals(ConfigWatcher.THREAD_NAME)
                                  && t.getState() == Thread.State.BLOCKED));
      long seen = lastIntervalEnd();
      await()
          .atMost(Duration.ofSeconds(5))
          .alias("a metrics interval closes while the reload is blocked")
          .until(() -> lastIntervalEnd() > seen);
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> get("/", "u1").equals("canary"));
  }

  private long lastIntervalEnd() throws Exception {
    String body =
        client
            .send(
                HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + proxy.adminPort() + "/admin/stats"))
                    .build(),
                BodyHandlers.ofString())
            .body();
    return new ObjectMapper()
        .readTree(body)
        .path("variants")
        .path("stable")
        .path("lastInterval")
        .path("endMillis")
        .asLong(0);
  }

  private long successfulReloads() throws Exception {
    return metrics()
        .lines()
        .filter(l -> l.startsWith("canary_proxy_config_reloads_total{outcome=\"success\"}"))
        .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .findFirst()
        .orElse(0);
  }

  /**
   * Threads of this JVM other than the JDK HTTP client's pool and Awaitility's poller, which come
   * and go.
   */
  private static long proxyThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(
            t ->
                t.isAlive()
                    && !t.getName().startsWith("HttpClient")
                    && !t.getName().startsWith("awaitility"))
        .count();
  }

  private static long openFiles() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
