package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole proxy with {@code admin.listen: 0.0.0.0}: every admin endpoint the issue lists, the
 * ones the composition root adds included, needs a token; health and readiness do not.
 */
class ExposedAdminIT {
  private static final String CONTROL = "c0ntrol-7f3a";
  private static final String READ = "r3ad-19bc";

  @TempDir Path dir;

  private final HttpClient client =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private CanaryProxy proxy;

  @BeforeEach
  void start() throws Exception {
    Path control = Files.writeString(dir.resolve("token"), CONTROL + "\n");
    Path read = Files.writeString(dir.resolve("read-token"), READ + "\n");
    Path config =
        Files.writeString(
            dir.resolve("config.yaml"),
            """
            listen: 127.0.0.1:0
            ioThreads: 1
            admin: { listen: "0.0.0.0:0", tokenFile: "%s", readTokenFile: "%s" }
            backends:
              stable: { endpoints: ["127.0.0.1:1"] }
              canary: { endpoints: ["127.0.0.1:2"] }
            routing:
              salt: release-42
              override: { header: x-canary, trustedCidrs: ["10.0.0.0/8"] }
            """
                .formatted(control, read));
    proxy = new CanaryProxy(ConfigLoader.load(config)).start();
  }

  @AfterEach
  void stop() {
    proxy.close();
  }

  private HttpResponse<String> get(String path, String token) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + proxy.adminPort() + path))
            .timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void everyAdminReadNeedsATokenButHealthAndReadinessDoNot() throws Exception {
    assertThat(get("/healthz", null).statusCode()).isEqualTo(200);
    assertThat(get("/readyz", null).statusCode()).isEqualTo(200);
    for (String path :
        List.of(
            "/",
            "/dashboard",
            "/metrics",
            "/admin/config",
            "/admin/stats",
            "/admin/endpoints",
            "/admin/rollout",
            "/admin/histograms?variant=canary")) {
      HttpResponse<String> anonymous = get(path, null);

      assertThat(anonymous.statusCode()).as(path).isEqualTo(401);
      assertThat(anonymous.body()).as(path).doesNotContain("release-42", "10.0.0.0/8", "127.0.0.1");
      assertThat(get(path, READ).statusCode()).as(path).isEqualTo(200);
      assertThat(get(path, CONTROL).statusCode()).as(path).isEqualTo(200);
    }
    assertThat(get("/admin/config", READ).body())
        .as("the config shows the token files' paths, never the tokens")
        .contains("readTokenFile")
        .doesNotContain(CONTROL, READ);
  }
}
