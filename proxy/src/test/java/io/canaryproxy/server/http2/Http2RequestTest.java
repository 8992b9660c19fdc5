package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@link Http2Request} lets through to an HTTP/1.1 backend: the field values the HTTP/1.1
 * parser takes (HTAB and 8-bit bytes included), and a 400 for any other control character or for
 * whitespace at either end of a value (RFC 9113 §8.2.1), which the request's fields are not checked
 * for again.
 */
class Http2RequestTest {
  private static Http2Headers request(String name, String value) {
    return new DefaultHttp2Headers(false)
        .method("GET")
        .scheme("http")
        .path("/p")
        .authority("example.test")
        .add(name, value);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "a\rb",
        "a\nb",
        "a\u0000b",
        "a\u0001b",
        "a\u001fb",
        "a\u007fb",
        "\u000b",
        " lead",
        "trail\t"
      })
  void aFieldValueWithAControlCharacterOrWhitespaceAtAnEndIs400(String value) {
    assertThatThrownBy(() -> Http2Request.of(request("x-field", value), true))
        .isInstanceOfSatisfying(
            Http2Request.Refused.class, r -> assertThat(r.status()).isEqualTo(400));
  }

  @ParameterizedTest
  @ValueSource(strings = {"plain", "a\tb", "in side", "caf\u00e9", ""})
  void otherFieldValuesAreForwardedAsSent(String value) throws Exception {
    Http2Request r = Http2Request.of(request("x-field", value), true);
    assertThat(r.headers().get("x-field")).isEqualTo(value);
    assertThat(r.headers().get("host")).isEqualTo("example.test");
  }

  @ParameterizedTest
  @ValueSource(strings = {"x field", "x:field", "x\u0001field", "x(field)"})
  void aFieldNameThatIsNotATokenIs400(String name) {
    assertThatThrownBy(() -> Http2Request.of(request(name, "v"), true))
        .isInstanceOfSatisfying(
            Http2Request.Refused.class, r -> assertThat(r.status()).isEqualTo(400));
  }

  @ParameterizedTest
  @ValueSource(strings = {"example.test\r\nx-injected: 1", "a\u0001b"})
  void anAuthorityWithAControlCharacterIs400(String authority) {
    Http2Headers h =
        new DefaultHttp2Headers(false).method("GET").scheme("http").path("/").authority(authority);
    assertThatThrownBy(() -> Http2Request.of(h, true))
        .isInstanceOfSatisfying(
            Http2Request.Refused.class, r -> assertThat(r.status()).isEqualTo(400));
  }

  @ParameterizedTest
  @ValueSource(strings = {"GET", "POST", "PATCH", "get"})
  void theMethodIsForwardedAsSent(String method) throws Exception {
    Http2Headers h =
        new DefaultHttp2Headers(false)
            .method(AsciiString.of(method))
            .scheme("http")
            .path("/")
            .authority("example.test");
    assertThat(Http2Request.of(h, true).method()).isEqualTo(method);
  }
}
