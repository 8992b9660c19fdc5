package io.canaryproxy.server.http2;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A cleartext HTTP/2 backend of raw frames on a real socket, for the misdeeds a codec would not
 * commit: each accepted connection runs the {@link Script} the test gives for its number (1, 2,
 * ...), on its own thread. Requests are read with Netty's HPACK decoder; what the script writes
 * goes out as given (header blocks as literals, {@link RawH2Client#block}).
 */
final class RawH2Backend implements AutoCloseable {
  /** What the backend does on one connection. */
  interface Script {
    void run(Conn c) throws Exception;
  }

  /** A request read from the proxy: its stream and its header fields. */
  record Request(int stream, Http2Headers headers) {
    String path() {
      return headers.path().toString();
    }
  }

  private final ServerSocket server;
  private final IntFunction<Script> scripts;
  private final List<Conn> conns = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();

  /** Accepts connections; connection {@code n} (from 1) runs {@code scripts.apply(n)}. */
  RawH2Backend(IntFunction<Script> scripts) throws IOException {
    this.scripts = scripts;
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::acceptLoop, "raw-h2-accept");
    accept.setDaemon(true);
    accept.start();
  }

  /** A backend whose every connection runs {@link #serve}. */
  static RawH2Backend serving() throws IOException {
    return new RawH2Backend(n -> RawH2Backend::serve);
  }

  /**
   * A well-behaved connection: SETTINGS, then every request answered {@code 200} with body {@code
   * cN PATH} (N the connection's number), until the proxy closes it.
   */
  static void serve(Conn c) throws IOException {
    c.settings();
    Request r;
    while ((r = c.awaitRequest()) != null) {
      c.answer(r.stream(), "c" + c.number + " " + r.path());
    }
  }

  String endpoint() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** The connection numbered {@code n} (from 1), once accepted. */
  Conn conn(int n) {
    for (Conn c : conns) {
      if (c.number == n) {
        return c;
      }
    }
    return null;
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      Socket s;
      try {
        s = server.accept();
      } catch (IOException e) {
        return;
      }
      int n = connections.incrementAndGet();
      Conn c;
      try {
        c = new Conn(n, s);
      } catch (IOException e) {
        continue;
      }
      conns.add(c);
      Thread t =
          new Thread(
              () -> {
                try {
                  c.readPreface();
                  scripts.apply(n).run(c);
                } catch (Exception e) {
                  // the proxy closed the connection, or the test ended
                } finally {
                  c.ended.countDown();
                }
              },
              "raw-h2-conn-" + n);
      t.setDaemon(true);
      t.start();
    }
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Conn c : conns) {
      c.socket.close();
    }
  }

  /** One accepted connection, driven by its script. */
  static final class Conn {
    final int number;
    final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;
    private final DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);

    /** Counted down when the script ended (returned, or the connection failed). */
    final CountDownLatch ended = new CountDownLatch(1);

    /** Counted down when the script found the connection closed (or reset) by the proxy. */
    final CountDownLatch closedByProxy = new CountDownLatch(1);

    /** The error code of the GOAWAY the proxy sent, as read by the script; -1 before one. */
    volatile long goAwayError = -1;

    Conn(int number, Socket socket) throws IOException {
      this.number = number;
      this.socket = socket;
      socket.setSoTimeout(60_000);
      in = new DataInputStream(socket.getInputStream());
      out = new BufferedOutputStream(socket.getOutputStream(), 64 * 1024);
    }

    void readPreface() throws IOException {
      byte[] preface = new byte[24];
      in.readFully(preface);
      if (!new String(preface, StandardCharsets.US_ASCII)
          .equals("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")) {
        throw new IOException("not an HTTP/2 preface");
      }
    }

    /** Sends SETTINGS with {@code idValues} (identifier, value pairs), and flushes. */
    void settings(long... idValues) throws IOException {
      ByteArrayOutputStream p = new ByteArrayOutputStream();
      for (int i = 0; i + 1 < idValues.length; i += 2) {
        p.write((int) (idValues[i] >>> 8));
        p.write((int) idValues[i]);
        p.writeBytes(RawH2Client.int32(idValues[i + 1]));
      }
      frame(RawH2Client.SETTINGS, 0, 0, p.toByteArray());
      out.flush();
    }

    /** Writes one frame (not flushed: {@link #flush}). */
    void frame(int type, int flags, int stream, byte[] payload) throws IOException {
      try {
        out.write(new byte[] {(byte) (payload.length >>> 16), (byte) (payload.length >>> 8)});
        out.write(payload.length);
        out.write(type);
        out.write(flags);
        out.write(RawH2Client.int32(stream & 0x7fffffffL));
        out.write(payload);
      } catch (SocketException e) {
        closedByProxy.countDown(); // reset by the proxy, which closed with bytes unread
        throw e;
      }
    }

    void flush() throws IOException {
      try {
        out.flush();
      } catch (SocketException e) {
        closedByProxy.countDown();
        throw e;
      }
    }

    /** A HEADERS frame carrying {@code fields} as given, with END_HEADERS. */
    void headers(int stream, boolean endStream, String... fields) throws IOException {
      frame(
          RawH2Client.HEADERS,
          RawH2Client.END_HEADERS | (endStream ? RawH2Client.END_STREAM : 0),
          stream,
          RawH2Client.block(fields));
    }

    void data(int stream, boolean endStream, String text) throws IOException {
      frame(
          RawH2Client.DATA,
          endStream ? RawH2Client.END_STREAM : 0,
          stream,
          text.getBytes(StandardCharsets.US_ASCII));
    }

    void reset(int stream, long errorCode) throws IOException {
      frame(RawH2Client.RST_STREAM, 0, stream, RawH2Client.int32(errorCode));
    }

    void goAway(int lastStream, long errorCode) throws IOException {
      ByteArrayOutputStream p = new ByteArrayOutputStream();
      p.writeBytes(RawH2Client.int32(lastStream));
      p.writeBytes(RawH2Client.int32(errorCode));
      frame(RawH2Client.GOAWAY, 0, 0, p.toByteArray());
    }

    /** A complete {@code 200} answer with {@code body}, flushed. */
    void answer(int stream, String body) throws IOException {
      headers(stream, false, ":status", "200", "content-type", "text/plain");
      data(stream, true, body);
      flush();
    }

    /**
     * Reads until a request's header block is complete (acknowledging SETTINGS and PING, skipping
     * the rest) and returns it; {@code null} once the proxy closed the connection.
     */
    Request awaitRequest() throws IOException {
      ByteArrayOutputStream block = null;
      int blockStream = 0;
      while (true) {
        RawH2Client.Frame f = read();
        if (f == null) {
          return null;
        }
        switch (f.type()) {
          case RawH2Client.SETTINGS -> {
            if ((f.flags() & 0x1) == 0) {
              frame(RawH2Client.SETTINGS, 0x1, 0, new byte[0]);
              flush();
            }
          }
          case RawH2Client.PING -> {
            if ((f.flags() & 0x1) == 0) {
              frame(RawH2Client.PING, 0x1, 0, f.payload());
              flush();
            }
          }
          case RawH2Client.HEADERS -> {
            block = new ByteArrayOutputStream();
            blockStream = f.stream();
            block.writeBytes(headerFragment(f));
            if ((f.flags() & RawH2Client.END_HEADERS) != 0) {
              return decode(blockStream, block.toByteArray());
            }
          }
          case RawH2Client.CONTINUATION -> {
            if (block != null) {
              block.writeBytes(f.payload());
              if ((f.flags() & RawH2Client.END_HEADERS) != 0) {
                return decode(blockStream, block.toByteArray());
              }
            }
          }
          default -> {
            // DATA, WINDOW_UPDATE, RST_STREAM, GOAWAY, PRIORITY: nothing to answer
          }
        }
      }
    }

    /** Reads (and drops) frames until the proxy closes the connection. */
    void drainUntilClosed() throws IOException {
      while (read() != null) {
        // nothing
      }
    }

    /** The next frame; {@code null} (and {@link #closedByProxy}) once the proxy closed. */
    RawH2Client.Frame read() throws IOException {
      byte[] h = new byte[9];
      try {
        in.readFully(h);
        int len = (h[0] & 0xff) << 16 | (h[1] & 0xff) << 8 | (h[2] & 0xff);
        int stream = (h[5] & 0x7f) << 24 | (h[6] & 0xff) << 16 | (h[7] & 0xff) << 8 | (h[8] & 0xff);
        byte[] payload = new byte[len];
        in.readFully(payload);
        RawH2Client.Frame f = new RawH2Client.Frame(h[3] & 0xff, h[4] & 0xff, stream, payload);
        if (f.type() == RawH2Client.GOAWAY) {
          goAwayError = f.errorCode();
        }
        return f;
      } catch (EOFException | SocketException e) {
        closedByProxy.countDown();
        return null;
      }
    }

    /** The header block fragment of a HEADERS frame: without padding and priority fields. */
    private static byte[] headerFragment(RawH2Client.Frame f) {
      byte[] p = f.payload();
      int from = 0;
      int to = p.length;
      if ((f.flags() & 0x8) != 0) {
        int pad = p[0] & 0xff;
        from = 1;
        to -= pad;
      }
      if ((f.flags() & 0x20) != 0) {
        from += 5;
      }
      byte[] fragment = new byte[to - from];
      System.arraycopy(p, from, fragment, 0, fragment.length);
      return fragment;
    }

    private Request decode(int stream, byte[] block) throws IOException {
      ByteBuf b = Unpooled.wrappedBuffer(block);
      try {
        return new Request(stream, decoder.decodeHeaders(stream, b));
      } catch (Http2Exception e) {
        throw new IOException(e);
      } finally {
        b.release();
      }
    }
  }
}
