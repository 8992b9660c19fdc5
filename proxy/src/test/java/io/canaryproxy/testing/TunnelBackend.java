package io.canaryproxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback backend for upgrade tests that works on raw bytes: it reads request heads (and
 * Content-Length bodies), records them, answers each with what its {@link Script} returns, and once
 * it answered {@code 101} treats the connection as a tunnel: it records (and, when echoing, sends
 * back) every later byte. A connection can also be told to stop reading, or to stream bytes, to
 * test backpressure.
 */
public final class TunnelBackend implements AutoCloseable {
  /** The raw answer to request {@code index} (from 0) of connection {@code conn}. */
  @FunctionalInterface
  public interface Script {
    String reply(int conn, int index, String head);
  }

  /** A 101 that accepts a WebSocket upgrade (the bytes after it are not WebSocket-framed here). */
  public static final String SWITCH =
      "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";

  /** One accepted connection. */
  public static final class Conn {
    private final Socket socket;
    private final ByteArrayOutputStream tunnelBytes = new ByteArrayOutputStream();
    private final List<String> heads = new CopyOnWriteArrayList<>();
    private final List<String> bodies = new CopyOnWriteArrayList<>();
    private final Object readGate = new Object();
    private boolean paused;
    private final AtomicLong tunnelRead = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private volatile boolean switched;
    private volatile boolean closed;

    Conn(Socket socket) {
      this.socket = socket;
    }

    /** The request heads received, as text, in order. */
    public List<String> heads() {
      return heads;
    }

    /** The request bodies received (Content-Length framed), in order. */
    public List<String> bodies() {
      return bodies;
    }

    /** True once this connection answered 101. */
    public boolean switched() {
      return switched;
    }

    /** The bytes received after the 101. */
    public synchronized byte[] tunnelBytes() {
      return tunnelBytes.toByteArray();
    }

    /** How many bytes were received after the 101 (also when not recorded). */
    public long tunnelRead() {
      return tunnelRead.get();
    }

    /** How many bytes {@link #stream} has written so far. */
    public long written() {
      return written.get();
    }

    /** True once the peer closed the connection or it was closed here. */
    public boolean closed() {
      return closed;
    }

    /**
     * Stops reading after the read in progress, if any (the socket's buffers fill up, then the
     * peer's writes stall).
     */
    public void pauseReading() {
      synchronized (readGate) {
        paused = true;
      }
    }

    public void resumeReading() {
      synchronized (readGate) {
        paused = false;
        readGate.notifyAll();
      }
    }

    void awaitReading() throws InterruptedException {
      synchronized (readGate) {
        while (paused) {
          readGate.wait();
        }
      }
    }

    /** Writes {@code bytes} to the proxy. */
    public void send(byte[] bytes) throws IOException {
      OutputStream out = socket.getOutputStream();
      out.write(bytes);
      out.flush();
    }

    /** Writes {@code total} bytes of a repeating pattern, in 64 KiB pieces, counting each. */
    public void stream(long total) throws IOException {
      byte[] piece = new byte[64 * 1024];
      for (int i = 0; i < piece.length; i++) {
        piece[i] = (byte) i;
      }
      OutputStream out = socket.getOutputStream();
      long left = total;
      while (left > 0) {
        int n = (int) Math.min(piece.length, left);
        out.write(piece, 0, n);
        left -= n;
        written.addAndGet(n);
      }
      out.flush();
    }

    public void close() throws IOException {
      closed = true;
      socket.close();
    }
  }

  private final ServerSocket server;
  private final Script script;
  private final boolean echo;
  private final boolean record;
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  private final ExecutorService threads = Executors.newCachedThreadPool();

  /**
   * @param echo after a 101, send every received byte back
   * @param record after a 101, keep every received byte (off for large streams: only counted)
   */
  public TunnelBackend(Script script, boolean echo, boolean record) throws IOException {
    this.script = script;
    this.echo = echo;
    this.record = record;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    threads.execute(this::acceptLoop);
  }

  /** Accepts every upgrade with {@link #SWITCH} and echoes the tunnel bytes. */
  public static TunnelBackend echoing() throws IOException {
    return new TunnelBackend((c, i, head) -> SWITCH, true, true);
  }

  public String endpoint() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  public List<Conn> conns() {
    return conns;
  }

  /** Connections not yet closed. */
  public long openConnections() {
    return conns.stream().filter(c -> !c.closed()).count();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Conn c = new Conn(s);
        int index = conns.size();
        conns.add(c);
        threads.execute(() -> serve(index, c));
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(int index, Conn c) {
    try (Socket s = c.socket) {
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      for (int request = 0; ; request++) {
        String head = readHead(in);
        if (head == null) {
          return;
        }
        c.heads.add(head);
        int length = contentLength(head);
        if (length > 0) {
          c.bodies.add(new String(in.readNBytes(length), StandardCharsets.ISO_8859_1));
        }
        String reply = script.reply(index, request, head);
        out.write(reply.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        if (reply.startsWith("HTTP/1.1 101")) {
          c.switched = true;
          tunnel(c, in, out);
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the proxy closed the connection, or the test closed this backend
    } finally {
      c.closed = true;
    }
  }

  private void tunnel(Conn c, InputStream in, OutputStream out)
      throws IOException, InterruptedException {
    byte[] buf = new byte[16 * 1024];
    while (true) {
      c.awaitReading();
      int n = in.read(buf);
      if (n < 0) {
        return;
      }
      c.tunnelRead.addAndGet(n);
      if (record) {
        synchronized (c) {
          c.tunnelBytes.write(buf, 0, n);
        }
      }
      if (echo) {
        out.write(buf, 0, n);
        out.flush();
      }
    }
  }

  /** Reads up to and including the blank line; {@code null} at the end of the stream. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return head.toString(StandardCharsets.ISO_8859_1);
      }
    }
    return null;
  }

  private static int contentLength(String head) {
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
        return Integer.parseInt(line.substring(15).trim());
      }
    }
    return 0;
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Conn c : conns) {
      c.socket.close();
    }
    threads.shutdownNow();
  }
}
