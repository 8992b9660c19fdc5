package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.DATA;
import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.PING;
import static io.canaryproxy.server.http2.RawH2Client.RST_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.SETTINGS;
import static io.canaryproxy.server.http2.RawH2Client.WINDOW_UPDATE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A slow client stops an HTTP/2 backend's download, on real sockets: the proxy returns a response's
 * bytes to the backend's stream window only as its client takes them, so a raw-frame backend that
 * sends as fast as the windows allow is held at a bound (the kernel's socket buffers, the client
 * connection's write buffer and one stream window) while the client does not read, and every byte
 * arrives once it reads again.
 */
class Http2BackendFlowControlIT {
  private static final long TOTAL = 32L << 20;
  private static final int FRAME = 16 * 1024;

  private final H2BackendHarness h = new H2BackendHarness();

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  @Test
  void aClientThatStopsReadingStopsTheBackendAndThenGetsEveryByte() throws Exception {
    Downloader down = new Downloader();
    RawH2Backend backend = h.backend(down::run);
    h.startProxy(backend, "timeouts: { response: 120s, clientIdle: 120s }");

    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(32 * 1024);
      s.connect(new InetSocketAddress("127.0.0.1", h.proxy().port()));
      s.setSoTimeout(60_000);
      OutputStream out = s.getOutputStream();
      out.write(
          "GET /big HTTP/1.1\r\nHost: app.test\r\nx-user-id: u1\r\nConnection: close\r\n\r\n"
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String head = readHead(in);
      assertThat(head).startsWith("HTTP/1.1 200").containsIgnoringCase("content-length: " + TOTAL);

      // Stopped: the client reads nothing more, so the proxy returns no more window. What the
      // backend got out is in the kernel's socket buffers (the client's receive buffer is small,
      // the proxy's send buffer may grow to net.ipv4.tcp_wmem's maximum, 4 MiB here), the client
      // connection's write buffer and one stream window: a proxy returning each window as it
      // reads would take all 32 MiB.
      long bound = 12L << 20;
      AtomicLong last = new AtomicLong(-1);
      await()
          .atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500))
          .until(() -> last.getAndSet(down.sent.get()) == down.sent.get());
      await()
          .during(Duration.ofSeconds(3))
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () -> {
                assertThat(down.reset.get()).as("RST_STREAM error code").isNull();
                assertThat(down.sent.get()).as("bytes sent").isLessThan(bound);
              });
      assertThat(down.sent.get()).isLessThan(TOTAL);

      long body = 0;
      byte[] buf = new byte[64 * 1024];
      int r;
      while (body < TOTAL && (r = in.read(buf)) > 0) {
        body += r;
      }
      assertThat(body).isEqualTo(TOTAL);
    }
    assertThat(down.failure.get()).isNull();
    assertThat(down.reset.get()).isNull();
    assertThat(down.sent.get()).isEqualTo(TOTAL);
    await().untilAsserted(() -> assertThat(h.proxy().done()).hasSize(1));
    assertThat(h.proxy().done().get(0).status()).isEqualTo(200);
  }

  private static String readHead(InputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int state = 0;
    while (state < 4) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      sb.append((char) b);
      state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : 0;
    }
    return sb.toString();
  }

  /**
   * A backend connection that answers its first request with {@link #TOTAL} bytes, sent as fast as
   * the proxy's windows allow (RFC 9113 §6.9), reading the proxy's frames on a thread of its own.
   */
  private static final class Downloader {
    final AtomicLong sent = new AtomicLong();
    final AtomicReference<Long> reset = new AtomicReference<>();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final AtomicBoolean headersRead = new AtomicBoolean();
    private final Object lock = new Object();
    private long connectionWindow = 65_535;
    private long streamWindow = 65_535;
    private long initialStreamWindow = 65_535;
    private int stream;

    void run(RawH2Backend.Conn c) throws Exception {
      send(c, SETTINGS, 0, 0, new byte[0]);
      Thread reader = new Thread(() -> read(c), "h2-download-reader");
      reader.setDaemon(true);
      reader.start();
      synchronized (lock) {
        while (!headersRead.get()) {
          lock.wait(1000);
        }
      }
      send(
          c,
          HEADERS,
          END_HEADERS,
          stream,
          RawH2Client.block(":status", "200", "content-length", Long.toString(TOTAL)));
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
          boolean end = sent.get() + n == TOTAL;
          byte[] payload = n == FRAME ? zeros : java.util.Arrays.copyOf(zeros, n);
          send(c, DATA, end ? END_STREAM : 0, stream, payload);
          sent.addAndGet(n);
        }
      } catch (IOException e) {
        failure.compareAndSet(null, e);
      }
      reader.join(); // until the proxy closes the connection
    }

    private void read(RawH2Backend.Conn c) {
      try {
        RawH2Client.Frame f;
        while ((f = readOrWait(c)) != null) {
          if (f.type() == SETTINGS && (f.flags() & 0x1) == 0) {
            applySettings(f.payload());
            send(c, SETTINGS, 0x1, 0, new byte[0]);
          } else if (f.type() == PING && (f.flags() & 0x1) == 0) {
            send(c, PING, 0x1, 0, f.payload());
          } else if (f.type() == WINDOW_UPDATE) {
            long increment = f.errorCode() & 0x7fffffffL; // the same 31 bits
            synchronized (lock) {
              if (f.stream() == 0) {
                connectionWindow += increment;
              } else if (f.stream() == stream) {
                streamWindow += increment;
              }
              lock.notifyAll();
            }
          } else if (f.type() == HEADERS && !headersRead.get()) {
            synchronized (lock) {
              stream = f.stream();
              streamWindow = initialStreamWindow;
              headersRead.set(true);
              lock.notifyAll();
            }
          } else if (f.type() == RST_STREAM && f.stream() == stream) {
            reset.set(f.errorCode());
            synchronized (lock) {
              lock.notifyAll();
            }
          }
        }
      } catch (IOException e) {
        if (sent.get() < TOTAL) {
          failure.compareAndSet(null, e);
        }
      }
    }

    /** The next frame, waiting past the socket's read timeout while the download is stopped. */
    private static RawH2Client.Frame readOrWait(RawH2Backend.Conn c) throws IOException {
      while (true) {
        try {
          return c.read();
        } catch (java.net.SocketTimeoutException e) {
          // nothing from the proxy for a while: the download is held; keep waiting
        }
      }
    }

    /** The proxy's SETTINGS_INITIAL_WINDOW_SIZE, for streams it opens from now on (§6.5.2). */
    private void applySettings(byte[] payload) {
      for (int at = 0; at + 6 <= payload.length; at += 6) {
        int id = (payload[at] & 0xff) << 8 | (payload[at + 1] & 0xff);
        long value =
            (payload[at + 2] & 0xffL) << 24
                | (payload[at + 3] & 0xff) << 16
                | (payload[at + 4] & 0xff) << 8
                | (payload[at + 5] & 0xff);
        if (id == 0x4) {
          synchronized (lock) {
            if (headersRead.get()) {
              streamWindow += value - initialStreamWindow;
            }
            initialStreamWindow = value;
            lock.notifyAll();
          }
        }
      }
    }

    /** Writes and flushes one frame; the reader's acknowledgements go between the DATA. */
    private static void send(RawH2Backend.Conn c, int type, int flags, int stream, byte[] payload)
        throws IOException {
      synchronized (c) {
        c.frame(type, flags, stream, payload);
        c.flush();
      }
    }
  }
}
