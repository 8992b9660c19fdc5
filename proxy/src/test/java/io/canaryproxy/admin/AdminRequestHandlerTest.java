package io.canaryproxy.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpMethod;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AdminRequestHandlerTest {
  private static EmbeddedChannel channel() {
    AdminRoutes routes = new AdminRoutes();
    routes.add(HttpMethod.GET, "/healthz", r -> AdminResponse.text(200, "ok"));
    routes.add(HttpMethod.POST, "/echo", r -> AdminResponse.text(200, r.bodyText()));
    routes.add(
        HttpMethod.GET,
        "/boom",
        r -> {
          throw new IllegalStateException("handler bug");
        });
    EmbeddedChannel ch = new EmbeddedChannel();
    AdminServer.addHttpHandlers(ch.pipeline(), routes);
    return ch;
  }

  private static String exchange(EmbeddedChannel ch, String request) {
    ch.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
    StringBuilder out = new StringBuilder();
    ByteBuf buf;
    while ((buf = ch.readOutbound()) != null) {
      out.append(buf.toString(StandardCharsets.ISO_8859_1));
      buf.release();
    }
    return out.toString();
  }

  // An oversized body gets 413 from the aggregator, which keeps a keep-alive connection and skips
  // the body.
  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "GET /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 200 OK | true",
        "HEAD /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 200 OK | true",
        "GET /healthz HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n | HTTP/1.1 200 OK | false",
        "GET /missing HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 404 Not Found | true",
        "DELETE /healthz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 405 Method Not Allowed | true",
        "GET /boom HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 500 Internal Server Error | true",
        "GET /healthz?x=%zz HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | HTTP/1.1 400 Bad Request | false",
        "GET /healthz HTTP/1.1\\r\\nBad Header Line\\r\\n\\r\\n | HTTP/1.1 400 Bad Request | false",
        "POST /echo HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 70000\\r\\n\\r\\n"
            + " | HTTP/1.1 413 Request Entity Too Large | true",
      })
  void answersWithTheStatusAndKeepsOrClosesTheConnection(
      String request, String statusLine, boolean open) {
    EmbeddedChannel ch = channel();

    String response = exchange(ch, request.replace("\\r\\n", "\r\n"));

    assertThat(response).startsWith(statusLine + "\r\n");
    assertThat(ch.isOpen()).isEqualTo(open);
    assertFalse(ch.finishAndReleaseAll());
  }

  @ParameterizedTest
  @CsvSource({"hello", "a longer body with spaces"})
  void passesTheBodyToTheHandler(String body) {
    EmbeddedChannel ch = channel();

    String response =
        exchange(
            ch,
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body);

    assertThat(response).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n" + body);
    assertFalse(ch.finishAndReleaseAll());
  }
}
