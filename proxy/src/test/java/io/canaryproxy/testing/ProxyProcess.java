package io.canaryproxy.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The proxy as a separate operating-system process: {@code java -cp <the test classpath>
 * io.canaryproxy.Main run --config FILE}, with its log (INFO, the production pattern) in a file.
 * For tests where replicas must not share a JVM, as in a real fleet. {@link #close()} kills it
 * (SIGKILL) and waits for it.
 */
public final class ProxyProcess implements AutoCloseable {
  private final String name;
  private final Process process;
  private final Path log;
  private final int adminPort;

  private ProxyProcess(String name, Process process, Path log, int adminPort) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.adminPort = adminPort;
  }

  /**
   * Writes {@code yaml} to {@code dir/NAME.yaml} and starts a proxy on it, logging to {@code
   * dir/NAME.log}. Returns at once; see {@link #awaitReady}.
   *
   * @param adminPort the config's admin port, for {@link #adminUri}
   */
  public static ProxyProcess start(Path dir, String name, String yaml, int adminPort)
      throws IOException {
    Path config = Files.writeString(dir.resolve(name + ".yaml"), yaml);
    Path logback =
        Files.writeString(
            dir.resolve("logback-" + name + ".xml"),
            """
            <configuration>
              <appender name="FILE" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{20} - %msg%n</pattern></encoder>
              </appender>
              <logger name="io.netty" level="WARN"/>
              <root level="INFO"><appender-ref ref="FILE"/></root>
            </configuration>
            """);
    Path log = dir.resolve(name + ".log");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process process =
        new ProcessBuilder(
                List.of(
                    java,
                    "-Xmx128m",
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Dlogback.configurationFile=" + logback,
                    "-cp",
                    System.getProperty("java.class.path"),
                    "io.canaryproxy.Main",
                    "run",
                    "--config",
                    config.toString()))
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    return new ProxyProcess(name, process, log, adminPort);
  }

  /** Waits until {@code /readyz} answers 200; fails at once, with the log, if the process exits. */
  public ProxyProcess awaitReady(Duration atMost) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    await()
        .atMost(atMost)
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptionsInstanceOf(IOException.class)
        .until(
            () -> {
              if (!process.isAlive()) {
                throw new IllegalStateException(
                    name + " exited with " + process.exitValue() + ":\n" + log());
              }
              return http.send(
                          HttpRequest.newBuilder(adminUri("/readyz")).build(),
                          HttpResponse.BodyHandlers.discarding())
                      .statusCode()
                  == 200;
            });
    return this;
  }

  /** A URL on this proxy's admin listener. */
  public URI adminUri(String path) {
    return URI.create("http://127.0.0.1:" + adminPort + path);
  }

  /** Everything the process logged so far. */
  public String log() throws IOException {
    return Files.readString(log);
  }

  /** Kills the process at once (as a crash does) and waits for it to end. */
  @Override
  public void close() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor();
  }

  /** A port that was free on the loopback interface a moment ago. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
