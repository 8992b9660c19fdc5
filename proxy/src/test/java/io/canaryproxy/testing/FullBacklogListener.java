package io.canaryproxy.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A loopback listener that does not answer connection attempts, as a backend host that is down or
 * behind a firewall that drops packets: its accept queue (backlog 1) is filled by connections the
 * test holds and nothing is accepted, so Linux drops every further SYN (no SYN-ACK, no RST) and a
 * connect to it waits until its own timeout. {@link #comeBack} makes it answer: from then on it
 * accepts, and relays each connection byte for byte to a real backend.
 */
public final class FullBacklogListener implements AutoCloseable {
  /** How long one filling connect may wait before the queue counts as full. */
  private static final int PROBE_MILLIS = 250;

  private final ServerSocket server;
  private final List<Socket> fillers = new ArrayList<>();
  private final List<Socket> relayed = new CopyOnWriteArrayList<>();

  public FullBacklogListener() throws IOException {
    server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
    InetSocketAddress address =
        new InetSocketAddress(server.getInetAddress(), server.getLocalPort());
    for (int i = 0; i < 64; i++) {
      Socket s = new Socket();
      try {
        s.connect(address, PROBE_MILLIS);
        fillers.add(s);
      } catch (SocketTimeoutException full) {
        s.close();
        return;
      }
    }
    close();
    throw new IllegalStateException("the accept queue never filled: SYNs are not dropped here");
  }

  /** {@code 127.0.0.1:PORT}. */
  public String endpoint() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  /** The connections holding the queue full (the queue's length). */
  public int fillers() {
    return fillers.size();
  }

  /**
   * From now on accepts every connection (the fillers first, closed by then) and relays it to
   * {@code host:port}, both directions, until either side closes.
   */
  public void comeBack(String host, int port) throws IOException {
    for (Socket s : fillers) {
      s.close();
    }
    Thread accept =
        new Thread(
            () -> {
              while (!server.isClosed()) {
                try {
                  Socket in = server.accept();
                  Socket out = new Socket(host, port);
                  relayed.add(in);
                  relayed.add(out);
                  pump(in, out);
                  pump(out, in);
                } catch (IOException e) {
                  // closed, or the backend refused: the proxy sees the connection end
                }
              }
            },
            "full-backlog-accept");
    accept.setDaemon(true);
    accept.start();
  }

  private static void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (from;
                  to) {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // one side closed: both are closed by the try
              }
            },
            "full-backlog-relay");
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void close() throws IOException {
    server.close();
    for (Socket s : fillers) {
      s.close();
    }
    for (Socket s : relayed) {
      s.close();
    }
  }
}
