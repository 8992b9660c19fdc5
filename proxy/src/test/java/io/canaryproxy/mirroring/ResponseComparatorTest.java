package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.MirrorConfig.CompareConfig;
import io.canaryproxy.server.http1.Http1Response;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ResponseComparatorTest {
  private static final String JSON = "application/json";

  private static CompareConfig config(boolean json, String... ignore) {
    return new CompareConfig(
        true, List.of("content-type", "x-version"), 1024, json, List.of(ignore), false);
  }

  /** Digests a response fed in pieces of {@code piece} bytes, as it would stream. */
  private static ResponseDigest digest(
      CompareConfig c, int status, String type, String version, String body) {
    ResponseDigest d = new ResponseDigest(c.headers(), c.maxBodyBytes(), c.json());
    HttpResponse r =
        new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
    if (type != null) {
      r.headers().set("content-type", type);
    }
    if (version != null) {
      r.headers().set("x-version", version);
    }
    d.head(Http1Response.of(r));
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < bytes.length; i += 7) {
      ByteBuf buf = Unpooled.wrappedBuffer(bytes, i, Math.min(7, bytes.length - i));
      d.content(buf);
      buf.release();
    }
    d.complete();
    return d;
  }

  @ParameterizedTest(name = "json={0}: {1} vs {2} -> {3}")
  @CsvSource(
      delimiter = '|',
      value = {
        "false | {\"a\":1,\"b\":2} | {\"a\":1,\"b\":2} | MATCH",
        "false | {\"a\":1,\"b\":2} | {\"b\":2,\"a\":1} | MISMATCH",
        "true  | {\"a\":1,\"b\":2} | {\"b\":2,\"a\":1} | MATCH",
        "true  | {\"a\":1,\"timestamp\":5} | {\"a\":1,\"timestamp\":9} | MATCH",
        "true  | {\"a\":1,\"timestamp\":5} | {\"a\":2,\"timestamp\":5} | MISMATCH",
        "true  | {\"a\":{\"b\":1,\"c\":2}} | {\"a\":{\"b\":7,\"c\":2}} | MATCH",
        "true  | {\"a\":{\"b\":1,\"c\":2}} | {\"a\":{\"b\":1,\"c\":3}} | MISMATCH",
        "true  | {\"items\":[{\"id\":1,\"v\":1}]} | {\"items\":[{\"id\":2,\"v\":1}]} | MATCH",
        "true  | {\"items\":[{\"id\":1,\"v\":1}]} | {\"items\":[{\"id\":1,\"v\":2}]} | MISMATCH",
        "true  | not json | not json | MATCH",
        "true  | not json | not jsoN | MISMATCH",
      })
  void comparesBodies(boolean json, String primary, String shadow, ComparisonResult.Body expected) {
    CompareConfig c = config(json, "$.timestamp", "$.a.b", "$.items[*].id");
    ResponseComparator comparator = new ResponseComparator(c);
    ComparisonResult r =
        comparator.compare(digest(c, 200, JSON, "1", primary), digest(c, 200, JSON, "1", shadow));
    assertThat(r.body()).isEqualTo(expected);
    assertThat(r.matches()).isEqualTo(expected == ComparisonResult.Body.MATCH);
    assertThat(r.statusMatch()).isTrue();
  }

  @Test
  void reportsTheFirstDifferingJsonPathWithoutValues() {
    CompareConfig c = config(true, "$.timestamp");
    ComparisonResult r =
        new ResponseComparator(c)
            .compare(
                digest(c, 200, JSON, "1", "{\"user\":{\"name\":\"secret-a\"},\"timestamp\":1}"),
                digest(c, 200, JSON, "1", "{\"user\":{\"name\":\"secret-b\"},\"timestamp\":2}"));
    assertThat(r.detail()).isEqualTo("body json at $.user.name").doesNotContain("secret");
  }

  @ParameterizedTest(name = "{0}/{1} vs {2}/{3}")
  @CsvSource(
      nullValues = "null",
      value = {
        "text/plain, 1, text/plain, 1, true",
        "text/plain, 1, text/html, 1, false",
        "text/plain, 1, text/plain, 2, false",
        "text/plain, null, text/plain, null, true",
        "text/plain, 1, text/plain, null, false",
      })
  void comparesListedHeaders(
      String typeA, String versionA, String typeB, String versionB, boolean match) {
    CompareConfig c = config(false);
    ComparisonResult r =
        new ResponseComparator(c)
            .compare(digest(c, 200, typeA, versionA, "x"), digest(c, 200, typeB, versionB, "x"));
    assertThat(r.headersMatch()).isEqualTo(match);
    assertThat(r.body()).isEqualTo(ComparisonResult.Body.MATCH);
    if (!match) {
      assertThat(r.detail()).startsWith("header ").doesNotContain("text/");
    }
  }

  @Test
  void statusDifferenceIsReported() {
    CompareConfig c = config(false);
    ComparisonResult r =
        new ResponseComparator(c)
            .compare(digest(c, 200, "a", "1", "x"), digest(c, 500, "a", "1", "x"));
    assertThat(r.statusMatch()).isFalse();
    assertThat(r.matches()).isFalse();
    assertThat(r.detail()).isEqualTo("status 200 vs 500");
  }

  @Test
  void bodiesOverTheLimitAreSkippedNotCompared() {
    CompareConfig c = config(true);
    String big = "y".repeat(1025);
    ComparisonResult r =
        new ResponseComparator(c)
            .compare(digest(c, 200, JSON, "1", big), digest(c, 200, JSON, "1", "small"));
    assertThat(r.body()).isEqualTo(ComparisonResult.Body.SKIPPED);
    assertThat(r.matches()).isTrue();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      value = {
        "$.timestamp | timestamp",
        "$.a.b | a,b",
        "$.items[*].id | items,[*],id",
        "$.list[2] | list,[2]"
      })
  void parsesPaths(String path, String steps) {
    assertThat(ResponseComparator.parsePath(path)).containsExactly(steps.split(","));
  }
}
