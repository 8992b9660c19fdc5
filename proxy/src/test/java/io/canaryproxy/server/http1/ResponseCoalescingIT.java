package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RawHttp;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.YamlConfigs;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a client receives, as raw bytes on real sockets, when the client connection writes a
 * response's head, its last piece and its end as one message (a whole response) or holds the head
 * until more arrives: every framing (known length, chunked in one or several pieces, an empty
 * chunked body, HEAD with either framing, 204, 304) on one keep-alive connection, so that each
 * response also proves the encoder was left ready for the next; a backend that closes mid-body (the
 * client gets what arrived and a close, never an end); and a head whose body comes later (the head
 * reaches the client before the backend sends the body).
 */
class ResponseCoalescingIT {
  private static final Map<String, String> REPLIES =
      Map.of(
          "/len", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello",
          "/len0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
          "/chunked-one",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
          "/chunked-two",
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n",
          "/chunked-empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
          "/head-len", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
          "/head-chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
          "/204", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n",
          "/304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 9\r\n\r\n");

  private RawBackend backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() throws IOException {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void everyFramingOnOneKeepAliveConnectionArrivesExactly() throws Exception {
    backend = new RawBackend((conn, index, request) -> Reply.of(REPLIES.get(request.target())));
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, ""));
    try (RawHttp client = new RawHttp(proxy.port())) {
      String[][] exchanges = {
        {"GET", "/len", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"},
        {
          "GET",
          "/chunked-one",
          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"
        },
        // the answer to a HEAD loses a chunked coding it does not use (as Netty's decoder did)
        {"HEAD", "/head-chunked", "HTTP/1.1 200 OK\r\n\r\n"},
        {"GET", "/len0", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"},
        {"GET", "/chunked-two", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"},
        {"GET", "/204", "HTTP/1.1 204 No Content\r\nX-A: 1\r\n\r\n"},
        {"HEAD", "/head-len", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"},
        {"GET", "/chunked-empty", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"},
        {"GET", "/304", "HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\nContent-Length: 9\r\n\r\n"},
        {"GET", "/len", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\n\r\nhello"},
      };
      for (String[] e : exchanges) {
        client.send(e[0] + " " + e[1] + " HTTP/1.1\r\nHost: x\r\n\r\n");
        if (e[1].equals("/chunked-two")) {
          // Its two pieces may arrive in one read or two: the chunk sizes follow the reads.
          assertThat(readResponse(client.input(), e[2])).isEqualTo(e[2]);
          assertThat(dechunk(client.input())).isEqualTo("abcde");
          continue;
        }
        assertThat(readResponse(client.input(), e[2])).as(e[1]).isEqualTo(e[2]);
      }
      client.send("GET /len HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
      assertThat(new String(client.input().readAllBytes(), StandardCharsets.ISO_8859_1))
          .as("the last answer, then nothing but the close")
          .isEqualTo(
              "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: 1\r\nconnection: close\r\n\r\nhello");
    }
  }

  @Test
  void aKnownLengthBodyCutShortReachesTheClientAsItCameThenTheConnectionCloses() throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) ->
                Reply.of("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc").thenClose());
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, ""));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(new String(client.input().readAllBytes(), StandardCharsets.ISO_8859_1))
          .isEqualTo("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
    }
  }

  @Test
  void aChunkedBodyCutShortGetsNoLastChunk() throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) ->
                Reply.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n")
                    .thenClose());
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, ""));
    try (RawHttp client = new RawHttp(proxy.port())) {
      client.send("GET /cut HTTP/1.1\r\nHost: x\r\n\r\n");
      assertThat(new String(client.input().readAllBytes(), StandardCharsets.ISO_8859_1))
          .isEqualTo("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n");
    }
  }

  /**
   * The backend sends a head, and its body only once the client has received that head: a head held
   * for its body must still leave at the end of the backend's read.
   */
  @Test
  void aHeadWhoseBodyComesLaterIsSentAtOnce() throws Exception {
    CountDownLatch headSeen = new CountDownLatch(1);
    try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress())) {
      CompletableFuture<Void> backendSide =
          CompletableFuture.runAsync(
              () -> {
                try (Socket s = server.accept()) {
                  InputStream in = s.getInputStream();
                  readHead(in);
                  OutputStream out = s.getOutputStream();
                  out.write(ascii("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n"));
                  out.flush();
                  if (headSeen.await(10, TimeUnit.SECONDS)) {
                    out.write(ascii("late"));
                    out.flush();
                  }
                } catch (IOException | InterruptedException e) {
                  // the proxy closed the connection: the test is over
                }
              });
      proxy = new RunningProxy(YamlConfigs.oneBackend("127.0.0.1:" + server.getLocalPort(), 4, ""));
      try (RawHttp client = new RawHttp(proxy.port())) {
        client.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
        String head = "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n";
        assertThat(readExactly(client.input(), head.length())).isEqualTo(head);
        headSeen.countDown();
        assertThat(readExactly(client.input(), 4)).isEqualTo("late");
      }
      proxy.close();
      proxy = null;
      backendSide.get(10, TimeUnit.SECONDS);
    }
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  /** Reads up to the blank line that ends a head (or the end of the stream). */
  private static void readHead(InputStream in) throws IOException {
    int state = 0;
    for (int b; (b = in.read()) >= 0; ) {
      state =
          (b == '\r' && state % 2 == 0) ? state + 1 : (b == '\n' && state % 2 == 1) ? state + 1 : 0;
      if (state == 4) {
        return;
      }
    }
  }

  /**
   * A head (up to its blank line), then as many bytes as {@code expected} has after its own head: a
   * different head is seen as such rather than as a wait for bytes that never come.
   */
  private static String readResponse(InputStream in, String expected) throws IOException {
    StringBuilder head = new StringBuilder();
    for (String line; !(line = line(in)).isEmpty(); ) {
      head.append(line).append("\r\n");
    }
    head.append("\r\n");
    int bodyBytes = expected.length() - (expected.indexOf("\r\n\r\n") + 4);
    return head + readExactly(in, bodyBytes);
  }

  private static String readExactly(InputStream in, int n) throws IOException {
    byte[] bytes = in.readNBytes(n);
    return new String(bytes, StandardCharsets.ISO_8859_1);
  }

  /** A chunked body's data, its framing checked: sizes, CRLFs, the last chunk, no trailers. */
  private static String dechunk(InputStream in) throws IOException {
    StringBuilder body = new StringBuilder();
    while (true) {
      String line = line(in);
      int size = Integer.parseInt(line, 16);
      if (size == 0) {
        assertThat(line(in)).as("after the last chunk").isEmpty();
        return body.toString();
      }
      body.append(readExactly(in, size));
      assertThat(line(in)).as("after a chunk's data").isEmpty();
    }
  }

  private static String line(InputStream in) throws IOException {
    StringBuilder s = new StringBuilder();
    for (int b; (b = in.read()) >= 0; ) {
      if (b == '\n') {
        assertThat(s.toString()).endsWith("\r");
        return s.substring(0, s.length() - 1);
      }
      s.append((char) b);
    }
    throw new IOException("end of stream inside a line: " + s);
  }
}
