package io.canaryproxy.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canaryproxy.testing.StrictRequestParser.Framing;
import io.canaryproxy.testing.StrictRequestParser.Request;
import io.canaryproxy.testing.StrictRequestParser.StrictParseException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class StrictRequestParserTest {
  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Test
  void readsEachFramingInOrder() {
    List<Request> requests =
        StrictRequestParser.parseAll(
            bytes(
                "GET /a HTTP/1.1\r\nHost: x\r\nX-A:  v w \t\r\n\r\n"
                    + "POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    + "PUT /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n"
                    + "2;name=v\r\nde\r\n1\r\nf\r\n0\r\nx-t: 1\r\n\r\n"));
    assertThat(requests).hasSize(3);
    assertThat(requests.get(0).target()).isEqualTo("/a");
    assertThat(requests.get(0).header("x-a")).isEqualTo("v w");
    assertThat(requests.get(0).framing()).isEqualTo(Framing.NONE);
    assertThat(requests.get(1).bodyText()).isEqualTo("abc");
    assertThat(requests.get(1).framing()).isEqualTo(Framing.CONTENT_LENGTH);
    assertThat(requests.get(2).bodyText()).isEqualTo("def");
    assertThat(requests.get(2).framing()).isEqualTo(Framing.CHUNKED);
    assertThat(requests.get(2).trailers())
        .containsExactly(new StrictRequestParser.Field("x-t", "1"));
  }

  @Test
  void aPrefixStopsBeforeAnIncompleteRequest() {
    byte[] stream =
        bytes(
            "GET /a HTTP/1.1\r\nHost: x\r\n\r\nPOST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nab");
    StrictRequestParser.Prefix prefix = StrictRequestParser.parsePrefix(stream);
    assertThat(prefix.requests()).hasSize(1);
    assertThat(prefix.consumed()).isEqualTo(28);
    assertThat(prefix.error()).isNull();
    assertThatThrownBy(() -> StrictRequestParser.parseAll(stream))
        .isInstanceOf(StrictParseException.class)
        .hasMessageContaining("after the last complete request");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      textBlock =
          """
          both CL and TE    | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 1\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | both Content-Length and Transfer-Encoding
          duplicate CL      | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 1\\r\\nContent-Length: 1\\r\\n\\r\\na | 2 Content-Length fields
          CL list           | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: 1, 1\\r\\n\\r\\na | invalid Content-Length
          signed CL         | POST / HTTP/1.1\\r\\nHost: x\\r\\nContent-Length: +1\\r\\n\\r\\na | invalid Content-Length
          TE not chunked    | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: xchunked\\r\\n\\r\\n0\\r\\n\\r\\n | other than exactly chunked
          TE in 1.0         | POST / HTTP/1.0\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0\\r\\n\\r\\n | Transfer-Encoding in HTTP/1.0
          bare LF           | GET / HTTP/1.1\\nHost: x\\r\\n\\r\\n | expected 0xd
          bare LF in field  | GET / HTTP/1.1\\r\\nHost: x\\nX: y\\r\\n\\r\\n | control byte 0xa
          obs-fold          | GET / HTTP/1.1\\r\\nHost: x\\r\\nX: a\\r\\n b\\r\\n\\r\\n | obs-fold
          space before colon| GET / HTTP/1.1\\r\\nHost : x\\r\\n\\r\\n | in a token
          two Host          | GET / HTTP/1.1\\r\\nHost: x\\r\\nHost: y\\r\\n\\r\\n | 2 Host fields
          no Host           | GET / HTTP/1.1\\r\\nX: y\\r\\n\\r\\n | 0 Host fields
          lower-case version| GET / http/1.1\\r\\nHost: x\\r\\n\\r\\n | invalid HTTP-version
          NUL in target     | GET /a\\u0000b HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | in the request-target
          NUL in a value    | GET / HTTP/1.1\\r\\nHost: x\\r\\nX: a\\u0000b\\r\\n\\r\\n | control byte 0x0
          chunk without CRLF| POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n1\\r\\nab\\r\\n0\\r\\n\\r\\n | expected 0xd
          0x chunk prefix   | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n0x1\\r\\na\\r\\n0\\r\\n\\r\\n | expected 0xd
          huge chunk size   | POST / HTTP/1.1\\r\\nHost: x\\r\\nTransfer-Encoding: chunked\\r\\n\\r\\n10000000000000001\\r\\na\\r\\n0\\r\\n\\r\\n | hex digits
          junk after        | GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\nX | after the last complete request
          leading CRLF      | \\r\\nGET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n | in a token
          """)
  void rejectsWhatIsAmbiguous(String name, String escaped, String problem) {
    byte[] stream = bytes(unescape(escaped));
    assertThatThrownBy(() -> StrictRequestParser.parseAll(stream))
        .isInstanceOf(StrictParseException.class)
        .hasMessageContaining(problem);
  }

  /** Turns the {@code \r}, {@code \n} and {@code \u0000} escapes of a table cell into bytes. */
  static String unescape(String s) {
    return s.replace("\\r", "\r").replace("\\n", "\n").replace("\\u0000", "\u0000");
  }
}
