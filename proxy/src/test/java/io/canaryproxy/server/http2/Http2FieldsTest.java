package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.util.AsciiString;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The model's view of a decoded HTTP/2 header block: pseudo-header fields hidden, names compared
 * case-insensitively and added in lower case (the block is sent on to an HTTP/2 peer as it is).
 */
class Http2FieldsTest {
  private static Http2Headers block() {
    Http2Headers h = new DefaultHttp2Headers();
    h.status("200");
    h.add("content-type", "text/plain");
    h.add("x-app", "a1");
    h.add("x-app", "a2");
    return h;
  }

  @ParameterizedTest
  @ValueSource(strings = {"x-app", "X-App", "X-APP"})
  void namesCompareCaseInsensitively(String name) {
    Http2Fields f = new Http2Fields(block());
    assertThat(f.get(name)).isEqualTo("a1");
    assertThat(f.getAll(name)).containsExactly("a1", "a2");
    assertThat(f.contains(name)).isTrue();
    f.remove(name);
    assertThat(f.contains("x-app")).isFalse();
    assertThat(f.size()).isEqualTo(1);
  }

  @ParameterizedTest
  @ValueSource(strings = {"X-Canary-Variant", "x-canary-variant"})
  void namesAreAddedAndSetInLowerCase(String name) {
    Http2Headers h = block();
    Http2Fields f = new Http2Fields(h);
    f.add(name, "stable");
    f.set(AsciiString.of("X-Canary-Other"), new StringBuilder("v"));
    List<String> names = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : h) {
      names.add(e.getKey().toString());
    }
    assertThat(names).contains("x-canary-variant").allMatch(n -> n.equals(n.toLowerCase()));
    assertThat(h.get("x-canary-other").toString()).isEqualTo("v");
    assertThat(h.get("x-canary-other")).isNotInstanceOf(StringBuilder.class); // kept, not a view
  }

  @org.junit.jupiter.api.Test
  void pseudoHeaderFieldsAreHiddenFromIterationAndSize() {
    Http2Fields f = new Http2Fields(block());
    List<String> seen = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : f) {
      seen.add(e.getKey() + "=" + e.getValue());
    }
    assertThat(seen).containsExactly("content-type=text/plain", "x-app=a1", "x-app=a2");
    assertThat(f.size()).isEqualTo(3);
    assertThat(f.get(":status")).isEqualTo("200"); // reachable by name, as Netty's own
    assertThat(new Http2Fields(new DefaultHttp2Headers().status("204")).isEmpty()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"x-app", "X-App"})
  void addFromFirstCopiesTheFirstValueUnderTheLowerCaseName(String from) {
    Http2Headers h = block();
    Http2Fields f = new Http2Fields(h);
    assertThat(f.addFromFirst(from, "X-Copy")).isTrue();
    assertThat(h.getAll("x-copy")).hasSize(1);
    assertThat(h.get("x-copy").toString()).isEqualTo("a1");
    assertThat(f.addFromFirst("x-absent", "x-none")).isFalse();
    assertThat(f.contains("x-none")).isFalse();
  }

  @ParameterizedTest
  @ValueSource(strings = {"x-app", "X-App", "X-APP"})
  void asciiNamesWithAnOffsetInTheirBytesCompareCaseInsensitivelyToo(String name) {
    byte[] bytes = ("AB" + name + "CD").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    AsciiString view = new AsciiString(bytes, 2, name.length(), false);
    Http2Fields f = new Http2Fields(block());
    assertThat(f.get(view)).isEqualTo("a1");
    f.add(view, "a3");
    assertThat(f.getAll("x-app")).containsExactly("a1", "a2", "a3");
    assertThat(Http2Fields.lower(view).toString()).isEqualTo("x-app");
  }

  /** A request block as Netty decodes it (names and values validated), with its authority. */
  private static Http2Headers requestBlock() {
    return new DefaultHttp2Headers()
        .method("GET")
        .scheme("http")
        .path("/p")
        .authority("app.test")
        .add("x-app", "a1");
  }

  @ParameterizedTest
  @ValueSource(strings = {"host", "Host", "HOST"})
  void aRequestsAuthorityIsItsHostField(String host) {
    Http2Headers h = requestBlock();
    Http2Fields f = Http2Fields.request(h);
    assertThat(f.get(host)).isEqualTo("app.test");
    assertThat(f.getView(host).toString()).isEqualTo("app.test");
    assertThat(f.getAll(host)).containsExactly("app.test");
    assertThat(f.contains(host)).isTrue();
    assertThat(f.size()).isEqualTo(2);
    List<String> seen = new ArrayList<>();
    for (Map.Entry<CharSequence, CharSequence> e : f) {
      seen.add(e.getKey() + "=" + e.getValue());
    }
    assertThat(seen).containsExactly("host=app.test", "x-app=a1");
    assertThat(f.addFromFirst(host, "x-forwarded-host")).isTrue();
    assertThat(h.get("x-forwarded-host").toString()).isEqualTo("app.test");

    f.set(host, "other.test");
    assertThat(h.authority().toString()).isEqualTo("other.test");
    assertThat(h.contains("host")).isFalse();
    f.remove(host);
    assertThat(h.authority()).isNull();
    assertThat(f.contains(host)).isFalse();
    assertThat(f.get(host)).isNull();
    assertThat(f.size()).isEqualTo(2); // x-app, x-forwarded-host
    f.add(host, "third.test"); // none left: it is the authority again
    assertThat(h.authority().toString()).isEqualTo("third.test");
    assertThat(h.contains("host")).isFalse();
    f.add(host, "fourth.test"); // a second Host value: a field after the authority
    assertThat(f.getAll(host)).containsExactly("third.test", "fourth.test");
    assertThat(f.size()).isEqualTo(4);
  }

  @org.junit.jupiter.api.Test
  void aResponsesViewHasNoHostButItsOwnField() {
    Http2Headers h = block().add("host", "backend.test");
    Http2Fields f = new Http2Fields(h);
    assertThat(f.get("host")).isEqualTo("backend.test");
    f.set("host", "x");
    assertThat(h.authority()).isNull();
    assertThat(h.get("host").toString()).isEqualTo("x");
  }
}
