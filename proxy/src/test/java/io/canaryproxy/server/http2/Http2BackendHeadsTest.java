package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The request HEADERS an HTTP/2 backend is sent for an HTTP/2 client's head: the client's block,
 * turned into the backend's request where it lies, is the request a copy of it makes (the oracle:
 * the same head sent again, which is copied).
 */
class Http2BackendHeadsTest {
  /** A client's request block as Netty decodes it (validating), with {@code fields} after. */
  private static Http2Headers clientBlock(String scheme, boolean authority, String... fields) {
    Http2Headers h = new DefaultHttp2Headers().method("GET").scheme(scheme).path("/p?q=1");
    if (authority) {
      h.authority("app.test");
    }
    for (int i = 0; i + 1 < fields.length; i += 2) {
      h.add(fields[i], fields[i + 1]);
    }
    return h;
  }

  private static Map<String, String> pseudo(Http2Headers h) {
    Map<String, String> out = new TreeMap<>();
    h.forEach(
        e -> {
          if (e.getKey().charAt(0) == ':') {
            out.put(e.getKey().toString(), e.getValue().toString());
          }
        });
    return out;
  }

  private static List<String> regular(Http2Headers h) {
    List<String> out = new ArrayList<>();
    h.forEach(
        e -> {
          if (e.getKey().charAt(0) != ':') {
            out.add(e.getKey() + ": " + e.getValue());
          }
        });
    return out;
  }

  @ParameterizedTest
  @CsvSource({
    // scheme, authority, tls, endStream, content-length sent
    "http, true, false, true, ",
    "http, true, true, true, ",
    "https, true, false, true, ",
    "http, true, false, false, 5",
    "http, true, false, false, 007",
    "http, true, false, false, ",
    "http, false, false, true, ",
  })
  void theClientsBlockSentAsItIsIsTheRequestACopyMakes(
      String scheme, boolean authority, boolean tls, boolean endStream, String contentLength)
      throws Exception {
    List<String> fields = new ArrayList<>(List.of("x-a", "one", "host", "other.test"));
    if (contentLength != null) {
      fields.addAll(List.of("content-length", contentLength));
    }
    Http2Request head =
        Http2Request.of(clientBlock(scheme, authority, fields.toArray(String[]::new)), endStream);
    // What the exchange does to every request before it is sent.
    head.headers().add("x-forwarded-for", "127.0.0.1");
    head.headers().addFromFirst("host", "x-forwarded-host");

    Http2Headers first = Http2BackendHeads.request(head, tls);
    Map<String, String> firstPseudo = pseudo(first);
    List<String> firstRegular = regular(first);
    Http2Headers again = Http2BackendHeads.request(head, tls);

    assertThat(pseudo(again)).isEqualTo(firstPseudo);
    assertThat(regular(again)).isEqualTo(firstRegular);
    assertThat(firstPseudo)
        .containsEntry(":method", "GET")
        .containsEntry(":scheme", tls ? "https" : "http")
        .containsEntry(":path", "/p?q=1")
        .containsEntry(":authority", authority ? "app.test" : "other.test");
    long length = head.bodyLength();
    List<String> expected = new ArrayList<>(List.of("x-a: one", "x-forwarded-for: 127.0.0.1"));
    expected.add("x-forwarded-host: " + (authority ? "app.test" : "other.test"));
    if (length >= 0) {
      expected.add("content-length: " + length);
    }
    expected.add("te: trailers");
    assertThat(firstRegular).containsExactlyElementsOf(expected);
  }

  @org.junit.jupiter.api.Test
  void aPseudoHeaderFieldARequestDoesNotCarryIsNotPassedOn() throws Exception {
    // :protocol (RFC 8441) outside an extended CONNECT: Netty's decoder lets it through.
    Http2Headers block = clientBlock("http", true, "x-a", "one");
    block.add(":protocol", "websocket");
    Http2Request head = Http2Request.of(block, true);
    Http2Headers sent = Http2BackendHeads.request(head, false);
    assertThat(pseudo(sent).keySet())
        .containsExactlyInAnyOrder(":method", ":scheme", ":authority", ":path");
    assertThat(regular(sent)).containsExactly("x-a: one", "content-length: 0", "te: trailers");
  }
}
