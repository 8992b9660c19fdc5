package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow readers on real sockets: a raw HTTP/2 client with a small window that stops reading stops
 * its HTTP/1.1 backend (TCP backpressure), with a bound on what the backend got out meanwhile, and
 * then gets every byte (gRPC servers over h2c: GrpcPassthroughIT); the proxy's {@code
 * timeouts.response} does not fire while the proxy waits for the client (HTTP/2 and HTTP/1.1
 * clients); a client that takes nothing for {@code timeouts.clientIdle} is cut off.
 */
class SlowReaderIT {
  private static final int WINDOW = 16 * 1024;

  private RunningProxy proxy;
  private StreamingBackend http1;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (http1 != null) {
      http1.close();
    }
  }

  private void startProxy(String backend, String timeouts) throws Exception {
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: " + backend,
            "  canary: " + backend,
            "routing:",
            "  canaryPercent: 0",
            "timeouts: " + timeouts,
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));
  }

  @Test
  void aRawH2ClientThatStopsReadingStopsAnHttp1BackendAndThenGetsEveryByte() throws Exception {
    long total = 128L << 20;
    http1 = new StreamingBackend(total);
    startProxy("{ endpoints: [\"" + http1.endpoint() + "\"] }", "{ response: 1s }");

    try (SlowH2Client client = new SlowH2Client(proxy.port(), WINDOW)) {
      SlowH2Client.Stream stream = client.send(SlowH2Client.get("/big"), null);
      stream.readOne(); // the head
      stream.readOne(); // one DATA frame
      await().atMost(Duration.ofSeconds(30)).until(() -> stream.bodyBytes.get() > 0);

      // Stopped: the backend is held by TCP backpressure once the proxy stops reading it. What it
      // got out is in the kernel's socket buffers (the proxy's receive buffer may grow to
      // net.ipv4.tcp_rmem's maximum, 32 MiB here) and the proxy's few windows, never the stream.
      long bound = 48L << 20;
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> last.getAndSet(http1.written.get()) == http1.written.get());
      // Longer than timeouts.response (1s): the proxy waits for the client, not the backend.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(30))
          .until(() -> http1.written.get() < bound && stream.reset.get() == null);
      assertThat(http1.written.get()).isLessThan(total);

      stream.readAll();
      await().atMost(Duration.ofSeconds(120)).untilTrue(stream.ended);
      assertThat(stream.status.get()).isEqualTo("200");
      assertThat(stream.bodyBytes.get()).isEqualTo(total);
    }
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).failure()).isNull();
    assertThat(proxy.done().get(0).bytesOut()).isEqualTo(total);
  }

  @Test
  void aStalledH2ClientIsCutOffAfterClientIdleAndTheBackendIsLetGo() throws Exception {
    long total = 128L << 20;
    http1 = new StreamingBackend(total);
    startProxy("{ endpoints: [\"" + http1.endpoint() + "\"] }", "{ response: 1s, clientIdle: 3s }");

    try (SlowH2Client client = new SlowH2Client(proxy.port(), WINDOW)) {
      SlowH2Client.Stream stream = client.send(SlowH2Client.get("/big"), null);
      stream.readOne();
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openBackendConnections() == 1);
      // Never read again: after clientIdle the proxy resets the stream and closes the backend
      // connection.
      await().atMost(Duration.ofSeconds(60)).until(() -> proxy.done().size() == 1);
      await().atMost(Duration.ofSeconds(30)).until(() -> proxy.openBackendConnections() == 0);
      assertThat(http1.written.get()).isLessThan(total);
      await().atMost(Duration.ofSeconds(30)).until(() -> stream.reset.get() != null);
      stream.readAll(); // what was sent before the reset, then the end: nothing left unreleased
      await().atMost(Duration.ofSeconds(30)).until(stream::closed);
      assertThat(stream.ended).isFalse();
    }
  }

  @Test
  void aSlowHttp1ClientIsNotGivenAResponseTimeout() throws Exception {
    long total = 128L << 20;
    http1 = new StreamingBackend(total);
    startProxy("{ endpoints: [\"" + http1.endpoint() + "\"] }", "{ response: 1s }");

    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(16 * 1024);
      s.connect(new java.net.InetSocketAddress("127.0.0.1", proxy.port()));
      s.getOutputStream()
          .write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(
              () ->
                  http1.written.get() > 0
                      && last.getAndSet(http1.written.get()) == http1.written.get());
      // Paused longer than timeouts.response: no 504, no cut.
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(30))
          .until(() -> proxy.done().isEmpty() && proxy.openBackendConnections() == 1);

      InputStream in = new java.io.BufferedInputStream(s.getInputStream());
      StringBuilder head = new StringBuilder();
      while (!head.toString().endsWith("\r\n\r\n")) {
        head.append((char) in.read());
      }
      assertThat(head.toString()).startsWith("HTTP/1.1 200 ").contains("Content-Length: " + total);
      byte[] buf = new byte[256 * 1024];
      long got = 0;
      int n;
      while (got < total && (n = in.read(buf, 0, (int) Math.min(buf.length, total - got))) > 0) {
        got += n;
      }
      assertThat(got).isEqualTo(total);
    }
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).failure()).isNull();
    assertThat(proxy.done().get(0).status()).isEqualTo(200);
  }

  /**
   * An HTTP/1.1 backend answering every request with {@code total} bytes as fast as its socket
   * takes them (blocking writes, a 64 KiB send buffer), counting what it got out.
   */
  static final class StreamingBackend implements AutoCloseable {
    final AtomicLong written = new AtomicLong();
    final java.util.concurrent.atomic.AtomicBoolean cutOff =
        new java.util.concurrent.atomic.AtomicBoolean();
    private final ServerSocket server;
    private final long total;
    private final Thread thread;

    StreamingBackend(long total) throws IOException {
      this.total = total;
      server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
      thread = new Thread(this::serve, "streaming-backend");
      thread.setDaemon(true);
      thread.start();
    }

    String endpoint() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    private void serve() {
      while (!server.isClosed()) {
        try (Socket s = server.accept()) {
          s.setSendBufferSize(64 * 1024);
          InputStream in = s.getInputStream();
          int state = 0;
          while (state < 4) { // up to the end of the head
            int b = in.read();
            if (b < 0) {
              break;
            }
            state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : 0;
          }
          OutputStream out = s.getOutputStream();
          out.write(
              ("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                      + total
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
          byte[] chunk = new byte[64 * 1024];
          long left = total;
          while (left > 0) {
            int n = (int) Math.min(chunk.length, left);
            out.write(chunk, 0, n);
            written.addAndGet(n);
            left -= n;
          }
          out.flush();
          in.read(); // until the proxy closes or reuses it
        } catch (IOException e) {
          cutOff.set(true);
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
