package io.canaryproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.testing.SpecialFiles;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The command line with config and token files that cannot be used: each is one error line and exit
 * status 2, and {@code run} binds nothing.
 */
class MainIT {
  private static final String TOKEN_EXPECTED =
      "; expected: a regular file of at most 4 KiB holding the token)";

  @TempDir Path dir;

  private final StringWriter out = new StringWriter();
  private final StringWriter err = new StringWriter();
  private int proxyPort;
  private int adminPort;

  @BeforeEach
  void choosePorts() throws IOException {
    proxyPort = freePort();
    adminPort = freePort();
  }

  private int main(String... args) {
    return assertTimeoutPreemptively(
        Duration.ofSeconds(30),
        () ->
            new CommandLine(new Main())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args));
  }

  private Path config(Path tokenFile) throws IOException {
    return Files.writeString(
        dir.resolve("config.yaml"),
        """
        listen: 127.0.0.1:%d
        admin: { listen: 127.0.0.1:%d, tokenFile: "%s" }
        backends:
          stable: { endpoints: ["127.0.0.1:1"] }
          canary: { endpoints: ["127.0.0.1:2"] }
        """
            .formatted(proxyPort, adminPort, tokenFile));
  }

  @Test
  void validateRejectsAnEmptyTokenFileWithItsYamlPath() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "\n");

    int status = main("validate", "--config", config(token).toString());

    assertThat(status).isEqualTo(Main.INVALID_CONFIG);
    assertThat(err.toString())
        .isEqualTo("admin.tokenFile: " + token + " (cannot be read: empty" + TOKEN_EXPECTED + "\n");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void runRejectsAnEmptyTokenFileBeforeBindingAnything() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "  \n");

    int status = main("run", "--config", config(token).toString());

    assertThat(status).isEqualTo(Main.INVALID_CONFIG);
    assertThat(err.toString())
        .isEqualTo("admin.tokenFile: " + token + " (cannot be read: empty" + TOKEN_EXPECTED + "\n");
    assertFree(proxyPort);
    assertFree(adminPort);
  }

  @Test
  void aTokenFileEmptiedAfterLoadingStopsTheProxyBeforeItBinds() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "t0ken\n");
    ProxyConfig c = ConfigLoader.load(config(token));
    Files.writeString(token, "");

    assertThatThrownBy(() -> new CanaryProxy(c))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("admin.tokenFile: " + token + " (cannot be read: empty" + TOKEN_EXPECTED);
    assertThat(Main.create(c, new PrintWriter(err, true))).isNull();
    assertThat(err.toString()).startsWith("admin.tokenFile: " + token + " (cannot be read: empty");
    assertFree(proxyPort);
    assertFree(adminPort);
  }

  @Test
  void validateRejectsAConfigThatIsASymlinkToDevZero() throws Exception {
    Path file = SpecialFiles.devZero(dir.resolve("zero.yaml"));

    int status = main("validate", "--config", file.toString());

    assertThat(status).isEqualTo(Main.INVALID_CONFIG);
    assertThat(err.toString()).isEqualTo(file + ": cannot be read: not a regular file\n");
  }

  @Test
  void runAndDemoRejectAFifoWithoutBlocking() throws Exception {
    Path file = SpecialFiles.fifo(dir.resolve("fifo.yaml"));

    assertThat(main("run", "--config", file.toString())).isEqualTo(Main.INVALID_CONFIG);
    assertThat(main("demo", "--config", file.toString(), "--load", "0"))
        .isEqualTo(Main.INVALID_CONFIG);
    assertThat(err.toString())
        .isEqualTo(
            file
                + ": cannot be read: not a regular file\n"
                + file
                + ": cannot be read: not a regular file\n");
  }

  @Test
  void runWithItsPortInUseSaysSoInOneLine() throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "secret\n");
    try (ServerSocket busy = new ServerSocket(proxyPort, 1, InetAddress.getLoopbackAddress())) {
      int status = main("run", "--config", config(token).toString());

      assertThat(status).isEqualTo(Main.LISTEN_FAILED);
      assertThat(err.toString())
          .isEqualTo(
              "port "
                  + proxyPort
                  + " is in use; change listen in "
                  + dir.resolve("config.yaml")
                  + "\n");
    }
    assertFree(adminPort);
  }

  @Test
  void demoWithItsPortInUseSaysSoInOneLineAndSuggestsListen() throws Exception {
    try (ServerSocket busy = new ServerSocket(adminPort, 1, InetAddress.getLoopbackAddress())) {
      int status =
          main(
              "demo",
              "--load",
              "0",
              "--listen",
              "127.0.0.1:0",
              "--admin",
              "127.0.0.1:" + adminPort,
              "--config",
              demoConfig().toString());

      assertThat(status).isEqualTo(Main.LISTEN_FAILED);
      assertThat(err.toString())
          .isEqualTo("port " + adminPort + " is in use; try --admin 127.0.0.1:0\n");
    }
  }

  @Test
  void demoStartsAFreshRolloutUnlessResumed() throws Exception {
    Path state = dir.resolve("state.json");
    Files.writeString(state, "{\"state\": \"rolledBack\"}");
    try (ServerSocket busy = new ServerSocket(proxyPort, 1, InetAddress.getLoopbackAddress())) {
      // The busy port stops the demo right after it prepared the rollout.
      main("demo", "--load", "0", "--resume", "--config", demoConfig().toString());
      assertThat(state).exists();
      main("demo", "--load", "0", "--config", demoConfig().toString());
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void validateWithARolloutShowsTheShareItStartsAt() throws Exception {
    int status = main("validate", "--config", demoConfig().toString());

    assertThat(status).isZero();
    assertThat(out.toString())
        .contains("canary 5.0% of users at start (first rollout step)")
        .doesNotContain("canary 0.0%");
  }

  /** A demo config on the test's ports, backends on port 0 is impossible, so on free ports. */
  private Path demoConfig() throws IOException {
    return Files.writeString(
        dir.resolve("demo.yaml"),
        """
        listen: 127.0.0.1:%d
        admin: { listen: 127.0.0.1:%d }
        backends:
          stable: { endpoints: ["127.0.0.1:%d"] }
          canary: { endpoints: ["127.0.0.1:%d"] }
        routing: { canaryPercent: 0 }
        rollout:
          steps: [5, 50, 100]
          stateFile: "%s"
        """
            .formatted(proxyPort, adminPort, freePort(), freePort(), dir.resolve("state.json")));
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Binds the port and lets it go again: nothing else holds it. */
  private static void assertFree(int port) throws IOException {
    try (ServerSocket s = new ServerSocket()) {
      s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
      assertThat(s.getLocalPort()).isEqualTo(port);
    }
  }
}
