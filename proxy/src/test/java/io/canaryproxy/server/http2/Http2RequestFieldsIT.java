package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.testing.RawBackend;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StrictRequestParser;
import io.canaryproxy.testing.YamlConfigs;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 request's header block becomes the request the backend reads: on raw frames, cookie
 * crumbs (RFC 9113 §8.2.3) arrive as one {@code Cookie} field and {@code :authority} as {@code
 * Host}, replacing a {@code host} field the client also sent (§8.3.1), with no pseudo-header field.
 */
class Http2RequestFieldsIT {
  private RawBackend backend;
  private RunningProxy proxy;

  @BeforeEach
  void start() throws Exception {
    backend = RawBackend.echoingTargets();
    proxy = new RunningProxy(YamlConfigs.oneBackend(backend.endpoint(), 4, ""));
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    backend.close();
  }

  @Test
  void cookieCrumbsAreOneFieldAndTheAuthorityIsTheHost() throws Exception {
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(
          HEADERS,
          END_HEADERS | END_STREAM,
          1,
          RawH2Client.block(
              ":method", "GET",
              ":scheme", "http",
              ":path", "/crumbs",
              ":authority", "app.test",
              "cookie", "a=1",
              "host", "other.test",
              "x-one", "1",
              "cookie", "b=2",
              "cookie", "c=3"));
      c.flush();
      assertThat(c.await(HEADERS, 1)).as("response").isNotNull();
    }
    assertThat(backend.requests()).hasSize(1);
    StrictRequestParser.Request r = backend.requests().get(0);
    assertThat(r.target()).isEqualTo("/crumbs");
    assertThat(r.all("cookie")).containsExactly("a=1; b=2; c=3");
    assertThat(r.all("host")).containsExactly("app.test");
    assertThat(r.all("x-one")).containsExactly("1");
    assertThat(r.headers()).noneMatch(f -> f.name().startsWith(":"));
  }
}
