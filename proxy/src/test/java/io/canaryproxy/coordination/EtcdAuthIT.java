package io.canaryproxy.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.CanaryProxy;
import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.EtcdServer;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code rollout.coordination.username} / {@code passwordFile} against a real etcd with
 * authentication on (a {@code root} user, tokens that expire after 1 s of disuse): a replica with
 * the password joins and keeps working across token expiry; a wrong password or none is refused at
 * start, saying why. Skipped, with the reason printed, when etcd is not installed.
 */
class EtcdAuthIT {
  private static final String PASSWORD = "s3cret-pw";

  @TempDir Path dir;

  private final HttpClient http = HttpClient.newHttpClient();
  private EtcdServer etcd;
  private StubServer backend;
  private CanaryProxy proxy;

  @BeforeEach
  void start() throws Exception {
    etcd = EtcdServer.start(dir, "EtcdAuthIT", List.of("--auth-token-ttl", "1"));
    gateway("/v3/auth/user/add", "{\"name\":\"root\",\"password\":\"" + PASSWORD + "\"}");
    gateway("/v3/auth/user/grant", "{\"user\":\"root\",\"role\":\"root\"}");
    gateway("/v3/auth/enable", "{}");
    backend = StubServer.start((ctx, req) -> StubServer.reply(ctx, HttpResponseStatus.OK, "ok\n"));
  }

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (etcd != null) {
      etcd.close();
    }
  }

  @Test
  void aClientWithThePasswordAuthenticatesAndAgainWhenItsTokenHasExpired() throws Exception {
    try (EtcdClient client =
        new EtcdClient(
            List.of(etcd.endpoint()),
            Duration.ofSeconds(2),
            (n, ok) -> {},
            new EtcdClient.Credentials("root", PASSWORD))) {
      client.put("/auth-it/a", "1".getBytes(StandardCharsets.UTF_8), 0);
      // the token expires after 1 s unused; the next call is refused (401), re-authenticates and
      // goes through
      await()
          .pollDelay(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(10))
          .until(() -> client.get("/auth-it/a").kvs().size() == 1);
      assertThat(client.authentications()).isGreaterThanOrEqualTo(2);
    }
  }

  @Test
  void aReplicaWithThePasswordJoinsTheFleet() throws Exception {
    Path password = Files.writeString(dir.resolve("etcd-password"), PASSWORD + "\n");
    proxy =
        new CanaryProxy(
                ConfigLoader.load(config("username: root, passwordFile: \"" + password + "\"")))
            .start();

    assertThat(proxy.coordinator().status().store()).isEqualTo("etcd");
    await().atMost(Duration.ofSeconds(20)).until(() -> proxy.coordinator().isLeader());
    assertThat(proxy.coordinator().status().stale()).isFalse();
  }

  @Test
  void aWrongPasswordOrNoneIsRefusedAtStartSayingWhy() throws Exception {
    Path wrong = Files.writeString(dir.resolve("wrong"), "not-it\n");
    CanaryProxy withWrong =
        new CanaryProxy(
            ConfigLoader.load(config("username: root, passwordFile: \"" + wrong + "\"")));
    assertThatThrownBy(withWrong::start)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("cannot join the fleet")
        .hasMessageContaining("etcd authentication as root failed")
        .hasMessageContaining("invalid user ID or password");
    withWrong.close();

    CanaryProxy without = new CanaryProxy(ConfigLoader.load(config("")));
    assertThatThrownBy(without::start)
        .isInstanceOf(UncheckedIOException.class)
        .hasMessageContaining("rollout.coordination: cannot")
        .hasMessageContaining("user name is empty");
    without.close();
  }

  private Path config(String credentials) throws IOException {
    String extra = credentials.isEmpty() ? "" : ", " + credentials;
    return Files.writeString(
        dir.resolve("config.yaml"),
        """
        listen: 127.0.0.1:0
        ioThreads: 1
        admin: { listen: 127.0.0.1:0 }
        backends:
          stable: { endpoints: ["%s"] }
          canary: { endpoints: ["%s"] }
        routing: { userKey: [{ header: x-user-id }], salt: "auth-it" }
        rollout:
          steps: [50, 100]
          stepInterval: 10m
          analysis: { interval: 500ms, minRequests: 20 }
          stateFile: "%s"
          coordination:
            { store: etcd, endpoints: ["%s"], prefix: /auth-it, replicaId: "r0", leaseTtl: 3s%s }
        """
            .formatted(
                backend.endpoint(),
                backend.endpoint(),
                dir.resolve("unused.json"),
                etcd.endpoint(),
                extra));
  }

  private void gateway(String path, String body) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(etcd.endpoint().resolve(path))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(path + ": " + r.body()).isEqualTo(200);
  }
}
