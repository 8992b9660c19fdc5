package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.RST_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.SETTINGS;
import static io.canaryproxy.server.http2.RawH2Client.WINDOW_UPDATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A slow backend stops an HTTP/2 client's upload, on real sockets: the proxy returns a stream's
 * window to the client only as its backend takes the body, so a raw client that sends as fast as
 * the windows allow is held at a bound (the kernel's socket buffers and the proxy's few windows)
 * while the backend does not read, and the whole body arrives once it reads again.
 */
class Http2UploadFlowControlIT {
  private static final long TOTAL = 32L << 20;
  private static final int FRAME = 16 * 1024;

  private RunningProxy proxy;
  private PausedBackend backend;

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void aBackendThatStopsReadingStopsTheUploadAndThenGetsEveryByte() throws Exception {
    backend = new PausedBackend(TOTAL);
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "  canary: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "routing:",
            "  canaryPercent: 0",
            "timeouts: { response: 120s, requestBody: 120s }",
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));

    try (RawH2Client c = new RawH2Client(proxy.port())) {
      Uploader up = new Uploader(c);
      c.frame(
          HEADERS,
          END_HEADERS,
          1,
          RawH2Client.requestBlock(
              "POST", "/upload", "content-length", Long.toString(TOTAL), "x-user-id", "u1"));
      c.flush();
      up.start();
      await().atMost(Duration.ofSeconds(30)).until(() -> backend.headRead.get());

      // Stopped: the backend reads nothing more, so the proxy returns no more window. What the
      // client got out is in the kernel's socket buffers (the backend's receive buffer is small,
      // the proxy's send buffer may grow to net.ipv4.tcp_wmem's maximum, 4 MiB here) and the
      // proxy's few windows: a proxy returning each window as it reads would take all 32 MiB.
      long bound = 12L << 20;
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> last.getAndSet(up.sent.get()) == up.sent.get());
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(up.reset.get()).as("RST_STREAM error code").isNull();
                assertThat(up.sent.get()).as("bytes sent").isLessThan(bound);
              });
      assertThat(up.sent.get()).isLessThan(TOTAL);

      backend.resume.countDown();
      await().atMost(Duration.ofSeconds(120)).untilTrue(up.ended);
      assertThat(up.failure.get()).isNull();
      assertThat(up.reset.get()).isNull();
      assertThat(up.sent.get()).isEqualTo(TOTAL);
    }
    assertThat(backend.bodyBytes.get()).isEqualTo(TOTAL);
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(1));
    assertThat(proxy.done().get(0).status()).isEqualTo(200);
    assertThat(proxy.done().get(0).bytesIn()).isEqualTo(TOTAL);
  }

  /**
   * Sends stream 1's body as fast as the proxy's windows allow (RFC 9113 §6.9), reading the proxy's
   * frames on a thread of its own.
   */
  private static final class Uploader {
    final AtomicLong sent = new AtomicLong();
    final AtomicBoolean ended = new AtomicBoolean();
    final AtomicReference<Long> reset = new AtomicReference<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final RawH2Client c;
    private final Object lock = new Object();
    private long connectionWindow = 65_535;
    private long streamWindow = 65_535;

    Uploader(RawH2Client c) {
      this.c = c;
    }

    void start() {
      Thread reader = new Thread(this::read, "h2-upload-reader");
      reader.setDaemon(true);
      reader.start();
      Thread writer = new Thread(this::write, "h2-upload-writer");
      writer.setDaemon(true);
      writer.start();
    }

    private void read() {
      try {
        RawH2Client.Frame f;
        while ((f = readOrWait()) != null) {
          if (f.type() == SETTINGS && (f.flags() & 0x1) == 0) {
            // Acknowledged: the proxy applies its new stream window only from the ACK on (§6.5.3).
            send(SETTINGS, 0x1, 0, new byte[0]);
            applySettings(f.payload());
          } else if (f.type() == WINDOW_UPDATE) {
            long increment = f.errorCode() & 0x7fffffffL; // the same 31 bits
            synchronized (lock) {
              if (f.stream() == 0) {
                connectionWindow += increment;
              } else if (f.stream() == 1) {
                streamWindow += increment;
              }
              lock.notifyAll();
            }
          } else if (f.type() == RST_STREAM && f.stream() == 1) {
            reset.set(f.errorCode());
            wakeWriter();
          } else if ((f.type() == DATA || f.type() == HEADERS)
              && f.stream() == 1
              && (f.flags() & END_STREAM) != 0) {
            ended.set(true);
          }
        }
      } catch (IOException e) {
        if (!ended.get()) {
          failure.compareAndSet(null, e);
        }
      }
      wakeWriter();
    }

    /** The next frame, waiting past the socket's read timeout while the upload is stopped. */
    private RawH2Client.Frame readOrWait() throws IOException {
      while (true) {
        try {
          return c.read();
        } catch (java.net.SocketTimeoutException e) {
          // nothing from the proxy for a while: the upload is held; keep waiting
        }
      }
    }

    private void applySettings(byte[] payload) {
      for (int at = 0; at + 6 <= payload.length; at += 6) {
        int id = (payload[at] & 0xff) << 8 | (payload[at + 1] & 0xff);
        long value =
            (payload[at + 2] & 0xffL) << 24
                | (payload[at + 3] & 0xff) << 16
                | (payload[at + 4] & 0xff) << 8
                | (payload[at + 5] & 0xff);
        if (id == 0x4) { // SETTINGS_INITIAL_WINDOW_SIZE
          synchronized (lock) {
            streamWindow += value - 65_535;
            lock.notifyAll();
          }
        }
      }
    }

    /** Writes and flushes one frame; the reader acknowledges SETTINGS between the writer's DATA. */
    private void send(int type, int flags, int stream, byte[] payload) throws IOException {
      synchronized (c) {
        c.frame(type, flags, stream, payload);
        c.flush();
      }
    }

    private void wakeWriter() {
      synchronized (lock) {
        lock.notifyAll();
      }
    }

    private void write() {
      byte[] zeros = new byte[FRAME];
      try {
        while (sent.get() < TOTAL && reset.get() == null) {
          int n;
          synchronized (lock) {
            n =
                (int)
                    Math.min(
                        Math.min(FRAME, TOTAL - sent.get()),
                        Math.min(connectionWindow, streamWindow));
            if (n <= 0) {
              lock.wait(1000);
              continue;
            }
            connectionWindow -= n;
            streamWindow -= n;
          }
          boolean last = sent.get() + n == TOTAL;
          byte[] payload = n == FRAME ? zeros : java.util.Arrays.copyOf(zeros, n);
          send(DATA, last ? END_STREAM : 0, 1, payload);
          sent.addAndGet(n);
        }
      } catch (IOException | InterruptedException e) {
        failure.compareAndSet(null, e);
      }
    }
  }

  /**
   * An HTTP/1.1 backend with a small receive buffer that reads a request's head, then nothing until
   * {@link #resume}, then the body of {@code content-length} bytes, and answers 200.
   */
  private static final class PausedBackend implements AutoCloseable {
    final AtomicBoolean headRead = new AtomicBoolean();
    final AtomicLong bodyBytes = new AtomicLong();
    final CountDownLatch resume = new CountDownLatch(1);
    private final ServerSocket server;
    private final long total;

    PausedBackend(long total) throws IOException {
      this.total = total;
      server = new ServerSocket();
      server.setReceiveBufferSize(64 * 1024); // inherited by the accepted socket
      server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      Thread t = new Thread(this::serve, "paused-backend");
      t.setDaemon(true);
      t.start();
    }

    String endpoint() {
      return "127.0.0.1:" + server.getLocalPort();
    }

    private void serve() {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        int state = 0;
        while (state < 4) { // up to the end of the head
          int b = in.read();
          if (b < 0) {
            return;
          }
          state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : 0;
        }
        headRead.set(true);
        resume.await();
        byte[] buf = new byte[64 * 1024];
        while (bodyBytes.get() < total) {
          int r = in.read(buf, 0, (int) Math.min(buf.length, total - bodyBytes.get()));
          if (r < 0) {
            return;
          }
          bodyBytes.addAndGet(r);
        }
        OutputStream out = s.getOutputStream();
        out.write(
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        in.read(); // until the proxy closes or the test ends
      } catch (IOException | InterruptedException e) {
        // closed by the test
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
    }
  }
}
