package io.canaryproxy.server.http1;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RawBackend.Reply;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.YamlConfigs;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A chunked backend response to an HTTP/1.0 client (RFC 9112 §6.1: no Transfer-Encoding to an
 * HTTP/1.0 recipient): the client gets the decoded body, delimited by the connection's close, and
 * no chunk-size line among its body bytes; an HTTP/1.1 client still gets the chunks. Raw bytes on
 * both sides, one event loop.
 */
class Http10ChunkedResponseIT {
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

  /** {@code n} bytes of {@code c}. */
  private static String bytes(char c, int n) {
    return String.valueOf(c).repeat(n);
  }

  static Stream<Arguments> bodies() {
    String big = bytes('b', 3000);
    return Stream.of(
        // one chunk, written with the head in one piece (the whole-response path)
        Arguments.of("5\r\nhello\r\n0\r\n\r\n", "hello", ""),
        // several chunks and chunk extensions
        Arguments.of("5;x=y\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", "hello world", ""),
        // a body over the 1 KiB copied with the head
        Arguments.of("bb8\r\n" + big + "\r\n0\r\n\r\n", big, ""),
        // trailers, which an HTTP/1.0 client cannot take even when it sends TE: trailers
        Arguments.of("3\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n", "abc", "TE: trailers\r\n"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("bodies")
  void anHttp10ClientGetsTheDecodedBodyEndedByTheClose(String chunks, String body, String extra)
      throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) ->
                Reply.of(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n"
                        + "\r\n"
                        + chunks));
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 1, ""));

    String got = exchange("GET /c HTTP/1.0\r\nHost: x\r\n" + extra + "\r\n");

    assertThat(got)
        .isEqualTo(
            "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nconnection: close\r\n\r\n" + body);
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("bodies")
  void anHttp11ClientStillGetsTheChunks(String chunks, String body, String extra) throws Exception {
    backend =
        new RawBackend(
            (conn, index, request) ->
                Reply.of(
                    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n"
                        + "\r\n"
                        + chunks));
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 1, ""));

    String got = exchange("GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + extra + "\r\n");

    assertThat(got)
        .startsWith(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n"
                + "connection: close\r\n\r\n")
        .endsWith("0\r\n" + (extra.isEmpty() ? "" : "X-Trailer: t\r\n") + "\r\n");
    assertThat(dechunk(got.substring(got.indexOf("\r\n\r\n") + 4))).isEqualTo(body);
  }

  /** Sends {@code request} and reads until the proxy closes the connection. */
  private String exchange(String request) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", proxy.port()), 5_000);
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      byte[] buf = new byte[8192];
      for (int n; (n = in.read(buf)) >= 0; ) {
        all.write(buf, 0, n);
      }
      return all.toString(StandardCharsets.ISO_8859_1);
    }
  }

  /** The data of a chunked body (sizes in hex, extensions ignored), up to the last chunk. */
  private static String dechunk(String chunked) {
    StringBuilder data = new StringBuilder();
    int at = 0;
    while (true) {
      int eol = chunked.indexOf("\r\n", at);
      String size = chunked.substring(at, eol);
      int semi = size.indexOf(';');
      int n = Integer.parseInt(semi < 0 ? size : size.substring(0, semi), 16);
      if (n == 0) {
        return data.toString();
      }
      data.append(chunked, eol + 2, eol + 2 + n);
      at = eol + 2 + n + 2;
    }
  }
}
