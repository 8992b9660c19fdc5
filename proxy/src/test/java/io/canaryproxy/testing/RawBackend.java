package io.canaryproxy.testing;

import io.canaryproxy.testing.StrictRequestParser.Request;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A scripted backend on a loopback port that speaks raw bytes: it records every byte it receives
 * per connection, cuts the stream into requests with {@link StrictRequestParser}, and answers each
 * one with the exact bytes its {@link Script} returns, however hostile, after an optional delay,
 * keeping the connection open or closing it. A stream that the strict parser rejects is recorded
 * ({@link Conn#error()}) and answered with a 502 naming the problem, then closed.
 */
public final class RawBackend implements AutoCloseable {
  /** The answer to one request. */
  public record Reply(byte[] bytes, Duration delay, boolean close) {
    public static Reply of(String raw) {
      return new Reply(raw.getBytes(StandardCharsets.ISO_8859_1), Duration.ZERO, false);
    }

    /** A 200 with body {@code text} and a Content-Length. */
    public static Reply ok(String text) {
      return of(
          "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: "
              + text.length()
              + "\r\n\r\n"
              + text);
    }

    /** No answer at all; the connection stays open. */
    public static Reply silence() {
      return new Reply(new byte[0], Duration.ZERO, false);
    }

    public Reply after(Duration delay) {
      return new Reply(bytes, delay, close);
    }

    public Reply thenClose() {
      return new Reply(bytes, delay, true);
    }
  }

  /** Chooses the answer to request {@code index} (from 0) on connection {@code conn} (from 0). */
  @FunctionalInterface
  public interface Script {
    Reply answer(int conn, int index, Request request);
  }

  /** What one accepted connection received. */
  public static final class Conn {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private volatile boolean closed;
    private volatile String error;
    private volatile int answered;

    /** Every byte received so far. */
    public synchronized byte[] bytes() {
      return bytes.toByteArray();
    }

    /** True once the proxy closed the connection (or this backend did). */
    public boolean closed() {
      return closed;
    }

    /** Why the received stream is not strict HTTP/1.1, or {@code null}. */
    public String error() {
      return error;
    }

    /** The requests received, strictly parsed; fails on anything ambiguous or incomplete. */
    public List<Request> requests() {
      return StrictRequestParser.parseAll(bytes());
    }

    public String text() {
      return new String(bytes(), StandardCharsets.ISO_8859_1);
    }
  }

  private final ServerSocket server;
  private final Script script;
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private final ExecutorService readers = Executors.newCachedThreadPool();
  private final ScheduledExecutorService writer = Executors.newSingleThreadScheduledExecutor();

  public RawBackend(Script script) throws IOException {
    this.script = script;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    readers.execute(this::acceptLoop);
  }

  /** Answers every request with a 200 whose body is its request-target. */
  public static RawBackend echoingTargets() throws IOException {
    return new RawBackend((c, i, r) -> Reply.ok(r.target()));
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** Connections accepted so far, in order. */
  public List<Conn> conns() {
    return conns;
  }

  public int connections() {
    return conns.size();
  }

  public long openConnections() {
    return conns.stream().filter(c -> !c.closed()).count();
  }

  /** Every byte received, on all connections. */
  public long bytesReceived() {
    return conns.stream().mapToLong(c -> c.bytes().length).sum();
  }

  /** Every request of every connection, strictly parsed, in connection order. */
  public List<Request> requests() {
    List<Request> all = new ArrayList<>();
    for (Conn c : conns) {
      all.addAll(c.requests());
    }
    return all;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        s.setTcpNoDelay(true);
        Conn conn = new Conn();
        int index;
        synchronized (conns) {
          index = conns.size();
          conns.add(conn);
        }
        sockets.add(s);
        readers.execute(() -> serve(index, conn, s));
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  private void serve(int index, Conn conn, Socket s) {
    byte[] buf = new byte[16 * 1024];
    long notBefore = 0; // answers leave in request order, whatever their delays
    try (s) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      int n;
      while ((n = in.read(buf)) > 0) {
        byte[] all;
        synchronized (conn) {
          conn.bytes.write(buf, 0, n);
          all = conn.bytes.toByteArray();
        }
        if (conn.error != null) {
          continue;
        }
        StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(all);
        conn.error = prefix.error();
        if (conn.error != null) {
          // Say so at once (the client sees a 502 naming the problem) rather than wait forever.
          String text = "backend: not strict HTTP/1.1: " + conn.error;
          Reply refusal =
              Reply.of(
                      "HTTP/1.1 502 Bad Gateway\r\nContent-Length: "
                          + text.length()
                          + "\r\nConnection: close\r\n\r\n"
                          + text)
                  .thenClose();
          writer.schedule(
              () -> write(s, out, refusal),
              Math.max(0, notBefore - System.nanoTime()),
              TimeUnit.NANOSECONDS);
        }
        for (int i = conn.answered; i < prefix.requests().size(); i++) {
          Reply reply = script.answer(index, i, prefix.requests().get(i));
          conn.answered = i + 1;
          long at = Math.max(System.nanoTime() + reply.delay().toNanos(), notBefore);
          notBefore = at;
          writer.schedule(() -> write(s, out, reply), at - System.nanoTime(), TimeUnit.NANOSECONDS);
        }
      }
    } catch (IOException e) {
      // reset by the proxy: the connection is over
    } finally {
      conn.closed = true;
    }
  }

  private static void write(Socket s, OutputStream out, Reply reply) {
    try {
      if (reply.bytes().length > 0) {
        out.write(reply.bytes());
        out.flush();
      }
      if (reply.close()) {
        s.close();
      }
    } catch (IOException e) {
      // the proxy closed first
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : sockets) {
      s.close();
    }
    writer.shutdownNow();
    readers.shutdownNow();
  }
}
