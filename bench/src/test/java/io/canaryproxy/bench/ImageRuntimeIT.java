package io.canaryproxy.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.canaryproxy.bench.backend.StubBackend;
import io.canaryproxy.testing.RepoFiles;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded jar the build produces ({@code proxy/target/canary-proxy.jar}: the proxy module is
 * packaged before this module's tests in {@code mvnw verify}) started as the image starts it, but
 * on a JDK 25: the code is compiled for 17 and tested on 17, and the image stays on a 17 JRE (on 25
 * the sidecar took 9-16 MiB more RSS idle; README, "Sizing"), yet a user may run the jar on a newer
 * runtime with the sidecar's options. With the sidecar manifest's {@code JAVA_TOOL_OPTIONS} and
 * environment and the Dockerfile's ENTRYPOINT options it must reach {@code /readyz} 200, proxy a
 * request, print no JVM warning (an option 25 no longer takes), and drain and exit 0 on SIGTERM.
 * Skipped, with the reason printed, where no {@code /usr/lib/jvm/temurin-25*} JDK is installed or
 * the jar has not been built.
 */
@Timeout(120)
class ImageRuntimeIT {
  private static final YAMLMapper YAML = new YAMLMapper();

  @TempDir Path dir;

  @Test
  void theShadedJarServesOnJdk25WithTheSidecarsOptions() throws Exception {
    Optional<Path> java = jdk25();
    skipUnless(java.isPresent(), "no JDK 25 in /usr/lib/jvm/temurin-25*");
    Path jar = RepoFiles.file("proxy/target/canary-proxy.jar");
    skipUnless(
        Files.isRegularFile(jar),
        jar + " not built (run `./mvnw package`; `verify` builds it before these tests)");

    try (StubBackend stable = StubBackend.builder().variantName("stable").start();
        StubBackend canary = StubBackend.builder().variantName("canary").start()) {
      int listen = freePort();
      int admin = freePort();
      Path config =
          Files.writeString(
              dir.resolve("config.yaml"),
              """
              listen: 127.0.0.1:%d
              ioThreads: 1
              admin: { listen: 127.0.0.1:%d }
              backends:
                stable: { endpoints: ["127.0.0.1:%d"] }
                canary: { endpoints: ["127.0.0.1:%d"] }
              routing: { userKey: [{ header: x-user-id }], canaryPercent: 10 }
              metrics: { significantDigits: 2, window: 6, jvmMeters: false }
              drain: { delay: 0s, timeout: 2s }
              """
                  .formatted(listen, admin, stable.port(), canary.port()));
      JsonNode container = sidecarContainer();
      List<String> cmd = new ArrayList<>();
      cmd.add(java.get().toString());
      for (String o : entrypointOptions()) {
        // the image's archive or cache exists only in the image (DockerfileTest checks it)
        if (!o.startsWith("-XX:SharedArchiveFile=") && !o.startsWith("-XX:AOTCache=")) {
          cmd.add(o);
        }
      }
      cmd.addAll(List.of("-jar", jar.toString(), "run", "--config", config.toString()));
      Path log = dir.resolve("proxy.log");
      ProcessBuilder pb =
          new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
      pb.environment().remove("JAVA_TOOL_OPTIONS");
      pb.environment().remove("JDK_JAVA_OPTIONS");
      for (JsonNode env : container.path("env")) {
        pb.environment().put(env.path("name").asText(), env.path("value").asText().trim());
      }
      assertThat(pb.environment()).containsKeys("JAVA_TOOL_OPTIONS", "MALLOC_ARENA_MAX");
      Process proxy = pb.start();
      try {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        await()
            .atMost(Duration.ofSeconds(60))
            .pollInterval(Duration.ofMillis(100))
            .ignoreExceptions()
            .until(
                () -> {
                  assertThat(proxy.isAlive()).as("running; log:%n%s", read(log)).isTrue();
                  return status(http, "http://127.0.0.1:" + admin + "/readyz") == 200;
                });
        HttpResponse<String> r =
            http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + listen + "/"))
                    .header("x-user-id", "u1")
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(stable.served() + canary.served()).isEqualTo(1);

        proxy.destroy(); // SIGTERM, as the kubelet sends: the proxy drains and exits 0
        assertThat(proxy.waitFor(30, TimeUnit.SECONDS)).as("exited after SIGTERM").isTrue();
        assertThat(proxy.exitValue()).as("exit status; log:%n%s", read(log)).isZero();
      } finally {
        proxy.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String out = read(log);
      assertThat(out)
          .as("the JVM took the manifest's options")
          .contains("Picked up JAVA_TOOL_OPTIONS");
      assertThat(out)
          .as("no JVM warning (an obsolete or ignored option)")
          .doesNotContainIgnoringCase("warning");
    }
  }

  private static void skipUnless(boolean condition, String reason) {
    if (!condition) {
      System.out.println("ImageRuntimeIT skipped: " + reason);
    }
    Assumptions.assumeTrue(condition, reason);
  }

  /** {@code /usr/lib/jvm/temurin-25*}{@code /bin/java}, the newest, if any. */
  private static Optional<Path> jdk25() throws IOException {
    Path jvms = Path.of("/usr/lib/jvm");
    if (!Files.isDirectory(jvms)) {
      return Optional.empty();
    }
    try (Stream<Path> all = Files.list(jvms)) {
      return all.filter(p -> p.getFileName().toString().startsWith("temurin-25"))
          .map(p -> p.resolve("bin").resolve("java"))
          .filter(Files::isExecutable)
          .max(Comparator.naturalOrder());
    }
  }

  /** The sidecar manifest's canary-proxy container (an init container: a native sidecar). */
  private static JsonNode sidecarContainer() throws IOException {
    try (var parser = YAML.createParser(RepoFiles.file("config/k8s/sidecar.yaml").toFile())) {
      for (JsonNode doc : YAML.readValues(parser, JsonNode.class).readAll()) {
        for (JsonNode c : doc.at("/spec/template/spec/initContainers")) {
          if (c.path("name").asText().equals("canary-proxy")) {
            return c;
          }
        }
      }
    }
    throw new AssertionError("config/k8s/sidecar.yaml has no canary-proxy init container");
  }

  /** The Dockerfile's ENTRYPOINT options between {@code java} and {@code -jar}. */
  private static List<String> entrypointOptions() throws IOException {
    Matcher m =
        Pattern.compile("(?m)^ENTRYPOINT\\s+(\\[.*\\])\\s*$")
            .matcher(Files.readString(RepoFiles.file("Dockerfile")));
    String last = null;
    while (m.find()) {
      last = m.group(1);
    }
    assertThat(last).as("an exec-form ENTRYPOINT in the Dockerfile").isNotNull();
    List<String> all = List.of(YAML.readValue(last, String[].class));
    assertThat(all.get(0)).isEqualTo("java");
    return all.subList(1, all.indexOf("-jar"));
  }

  private static int status(HttpClient http, String url) throws Exception {
    return http.send(
            HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  private static String read(Path log) throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
