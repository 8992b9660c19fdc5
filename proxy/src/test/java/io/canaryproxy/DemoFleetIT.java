package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.canaryproxy.demo.LocalEtcd;
import io.canaryproxy.testing.ProxyProcess;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code demo --fleet 3} as a user runs it, in a process of its own: with etcd on the PATH it
 * starts etcd, the backends and three replicas that report one rollout and one leader, follows an
 * operator call made on any replica (no demo traffic: {@code --load 0}, so the rollout stays at
 * step 0), and removes etcd's directory on SIGTERM; without etcd it says so and exits.
 */
class DemoFleetIT {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Pattern REPLICA =
      Pattern.compile(
          "  (demo-\\d): proxy http://127.0.0.1:(\\d+)/ +admin http://127.0.0.1:(\\d+)");
  private static final Pattern ETCD_DIR = Pattern.compile("data and log in (\\S+)\\)");

  @TempDir Path dir;

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private Process process;

  @AfterEach
  void kill() throws InterruptedException {
    if (process != null) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor();
    }
  }

  @Test
  void withoutEtcdOnThePathItSaysSoAndExits() throws Exception {
    Path emptyPath = Files.createDirectory(dir.resolve("bin"));
    process = demo(emptyPath.toString(), "--fleet", "3");

    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isEqualTo(DemoFleet.NO_ETCD);
    assertThat(output())
        .contains("demo --fleet 3: no etcd on the PATH")
        .contains("apt-get install etcd-server")
        .doesNotContain("demo-0: proxy");
  }

  @Test
  void startsEtcdAndThreeReplicasThatAgreeAndFollowAnOperatorCallOnAnyOfThem() throws Exception {
    Path etcd = LocalEtcd.onPath().orElse(null);
    assumeTrue(
        etcd != null,
        () -> {
          System.out.println(
              "DemoFleetIT SKIPPED: no etcd on the PATH (apt-get install etcd-server)");
          return "no etcd on the PATH";
        });
    process =
        demo(
            System.getenv("PATH"),
            "--fleet",
            "3",
            "--config",
            demoConfig().toString(),
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--load",
            "0",
            "--canary-degrades-after",
            "0",
            "--fixed-canary-after",
            "0");
    await()
        .atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200))
        .until(() -> !process.isAlive() || output().contains("-> all agree"));
    String started = output();
    assertThat(process.isAlive()).as(started).isTrue();
    List<Integer> admins = new ArrayList<>();
    Matcher m = REPLICA.matcher(started);
    while (m.find()) {
      admins.add(Integer.parseInt(m.group(3)));
    }
    assertThat(admins).hasSize(3);
    assertThat(started)
        .contains("fleet: demo-0")
        .contains("demo-2: progressing step 0 canary 10.0%  -> all agree");

    List<String> leaders = new ArrayList<>();
    for (int admin : admins) {
      JsonNode c = rollout(admin).path("coordination");
      assertThat(c.path("store").asText()).isEqualTo("etcd");
      leaders.add(c.path("leader").asText());
    }
    assertThat(leaders).containsOnly(leaders.get(0)).doesNotContain("");

    HttpResponse<String> paused = post(admins.get(2), "/admin/rollout/pause");
    assertThat(paused.statusCode()).as(paused.body()).isEqualTo(200);
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(100))
        .until(() -> output().contains("demo-2: paused step 0 canary 10.0%  -> all agree"));
    for (int admin : admins) {
      assertThat(rollout(admin).path("state").asText()).isEqualTo("paused");
    }

    Matcher etcdDir = ETCD_DIR.matcher(started);
    assertThat(etcdDir.find()).isTrue();
    Path etcdData = Path.of(etcdDir.group(1));
    assertThat(etcdData).isDirectory();
    process.destroy(); // SIGTERM, as Ctrl-C
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(process.exitValue()).isZero();
    assertThat(etcdData).doesNotExist();
  }

  /** The embedded demo config with its backends on free ports, so that runs cannot collide. */
  private Path demoConfig() throws IOException {
    String yaml;
    try (InputStream in = DemoFleetIT.class.getResourceAsStream("/demo.yaml")) {
      yaml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    for (String port : List.of("19001", "19002", "19003")) {
      assertThat(yaml).contains("127.0.0.1:" + port);
      yaml = yaml.replace("127.0.0.1:" + port, "127.0.0.1:" + ProxyProcess.freePort());
    }
    return Files.writeString(dir.resolve("demo.yaml"), yaml);
  }

  private Process demo(String path, String... args) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ProcessHandle.current().info().command().orElseThrow());
    command.addAll(
        List.of(
            "-Xmx192m",
            "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1",
            "-Dlogback.configurationFile=" + warnOnly(),
            "-cp",
            System.getProperty("java.class.path"),
            Main.class.getName(),
            "demo"));
    command.addAll(List.of(args));
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("demo.out").toFile());
    pb.environment().put("PATH", path);
    return pb.start();
  }

  private Path warnOnly() throws IOException {
    return Files.writeString(
        dir.resolve("logback.xml"),
        """
        <configuration>
          <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
            <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger{20} - %msg%n</pattern></encoder>
          </appender>
          <root level="WARN"><appender-ref ref="OUT"/></root>
        </configuration>
        """);
  }

  private String output() throws IOException {
    return Files.readString(dir.resolve("demo.out"));
  }

  private JsonNode rollout(int admin) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + "/admin/rollout"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return MAPPER.readTree(r.body());
  }

  private HttpResponse<String> post(int admin, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + path))
            .POST(HttpRequest.BodyPublishers.noBody())
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
