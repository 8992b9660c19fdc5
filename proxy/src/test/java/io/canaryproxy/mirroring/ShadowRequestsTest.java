package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.http.RequestHead;
import io.canaryproxy.server.http1.Http1Request;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShadowRequestsTest {
  @ParameterizedTest(name = "{0} -> {1}")
  @CsvSource({
    "api, api-shadow",
    "api:8080, api-shadow:8080",
    "api.example.com, api.example.com-shadow",
    "10.0.0.1:80, 10.0.0.1-shadow:80",
    "[::1]:8080, [::1]-shadow:8080",
    "[::1], [::1]-shadow",
  })
  void suffixGoesBeforeThePort(String host, String expected) {
    assertThat(ShadowRequests.suffixHost(host, "-shadow")).isEqualTo(expected);
  }

  @Test
  void copyIsMarkedAndLeavesTheOriginalAlone() {
    HttpRequest original = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/a?b=c");
    original.headers().set("host", "api:8080").set("x-user-id", "u1");
    RequestHead copy = ShadowRequests.copyHead(Http1Request.of(original), "-shadow");
    assertThat(copy.target()).isEqualTo("/a?b=c");
    assertThat(copy.headers().get("host")).isEqualTo("api-shadow:8080");
    assertThat(copy.headers().get("x-canary-mirror")).isEqualTo("1");
    assertThat(copy.headers().get("x-user-id")).isEqualTo("u1");
    assertThat(original.headers().get("host")).isEqualTo("api:8080");
    assertThat(original.headers().contains("x-canary-mirror")).isFalse();
  }

  @Test
  void emptySuffixKeepsTheHost() {
    HttpRequest original = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/");
    original.headers().set("host", "api:8080");
    assertThat(ShadowRequests.copyHead(Http1Request.of(original), "").headers().get("host"))
        .isEqualTo("api:8080");
  }
}
