package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.ProxyProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code java ... io.canaryproxy.Main run --config FILE} as a process, the way the container starts
 * it: that command line is run without picocli (issue 20: its classes cost start-up and RSS), and
 * it still reports an invalid config as picocli's path did (one line naming the YAML path, exit 2).
 */
class MainProcessIT {
  @TempDir Path dir;

  private Process start(Path classLog, String... args) throws IOException {
    return start(List.of(), classLog, args);
  }

  private Process start(List<String> jvmOptions, Path classLog, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElse("java"));
    cmd.addAll(jvmOptions);
    cmd.add("-Xmx128m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1");
    if (classLog != null) {
      cmd.add("-Xlog:class+load=info:file=" + classLog);
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.canaryproxy.Main");
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd)
        .redirectOutput(dir.resolve("out.txt").toFile())
        .redirectError(dir.resolve("err.txt").toFile())
        .start();
  }

  @Test
  void runReportsAnInvalidConfigWithItsYamlPathAndStatus2() throws Exception {
    Path config =
        Files.writeString(dir.resolve("bad.yaml"), "listen: 127.0.0.1:0\nioThreads: -1\n");

    Process p = start(null, "run", "--config", config.toString());

    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("exited").isTrue();
    assertThat(p.exitValue()).isEqualTo(Main.INVALID_CONFIG);
    assertThat(Files.readString(dir.resolve("err.txt"))).contains("ioThreads");
  }

  @Test
  void runServesWithoutLoadingPicocli() throws Exception {
    int admin = ProxyProcess.freePort();
    Path config =
        Files.writeString(
            dir.resolve("ok.yaml"),
            """
            listen: 127.0.0.1:%d
            admin: { listen: 127.0.0.1:%d }
            backends:
              stable: { endpoints: ["127.0.0.1:1"] }
              canary: { endpoints: ["127.0.0.1:2"] }
            """
                .formatted(ProxyProcess.freePort(), admin));
    Path classLog = dir.resolve("classes.txt");

    Process p = start(classLog, "run", "--config", config.toString());
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
      await()
          .atMost(Duration.ofSeconds(60))
          .ignoreExceptionsInstanceOf(IOException.class)
          .until(
              () -> {
                assertThat(p.isAlive()).as("alive: %s", dir.resolve("err.txt")).isTrue();
                return http.send(
                            HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + admin + "/readyz"))
                                .build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200;
              });
      String loaded = Files.readString(classLog);
      assertThat(loaded).contains("io.canaryproxy.CanaryProxy ").doesNotContain(" picocli.");
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }

  @Test
  void runTurnsNettysLeakDetectorOffUnlessALevelIsGiven() throws Exception {
    Path config =
        Files.writeString(
            dir.resolve("ok.yaml"),
            """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            backends:
              stable: { endpoints: ["127.0.0.1:1"] }
              canary: { endpoints: ["127.0.0.1:2"] }
            """);

    assertThat(startupLog(List.of(), config)).contains("Netty leak detection: disabled");
    assertThat(startupLog(List.of("-Dio.netty.leakDetection.level=paranoid"), config))
        .contains("Netty leak detection: paranoid");
    assertThat(startupLog(List.of("-Dio.netty.leakDetectionLevel=simple"), config))
        .contains("Netty leak detection: simple");
  }

  /** What the proxy logged until it said which leak detection it runs with; then it is stopped. */
  private String startupLog(List<String> jvmOptions, Path config) throws Exception {
    Process p = start(jvmOptions, null, "run", "--config", config.toString());
    try {
      String[] log = new String[1];
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () -> {
                log[0] =
                    Files.readString(dir.resolve("out.txt"))
                        + Files.readString(dir.resolve("err.txt"));
                return log[0].contains("Netty leak detection:") || !p.isAlive();
              });
      return log[0];
    } finally {
      p.destroyForcibly();
      p.waitFor();
    }
  }
}
