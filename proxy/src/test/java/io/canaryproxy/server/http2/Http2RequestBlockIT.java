package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.config.ProxyConfig;
import io.canaryproxy.mirroring.Mirroring;
import io.canaryproxy.testing.RunningProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * An HTTP/2 client's request head reaches an HTTP/2 backend as the client's own block, turned into
 * the backend's request where it lies: on raw frames both ways, the request the backend reads when
 * it is sent again (a stream refused unprocessed), the shadow's copy of a mirrored one; and an
 * interim response head on its way back.
 */
class Http2RequestBlockIT {
  /** RFC 9113 §7: the stream was not processed, the request may be sent again. */
  private static final long REFUSED_STREAM = 0x7;

  private RawH2Backend backend;
  private RawH2Backend shadow;
  private RunningProxy proxy;
  private final List<Http2Headers> requests = new CopyOnWriteArrayList<>();
  private final List<Http2Headers> shadowRequests = new CopyOnWriteArrayList<>();
  private final AtomicBoolean refused = new AtomicBoolean();

  @AfterEach
  void stop() throws Exception {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
    if (shadow != null) {
      shadow.close();
    }
  }

  /**
   * A backend that records every request and answers {@code 200}; it refuses the first {@code
   * /refused} stream unprocessed, and answers {@code /early} with a {@code 103} first. Every head
   * it sends carries {@code te: trailers} and {@code trailer}, which Netty's decoder lets through.
   */
  private RawH2Backend backend(List<Http2Headers> seen) throws Exception {
    return new RawH2Backend(
        n ->
            c -> {
              c.settings();
              RawH2Backend.Request r;
              while ((r = c.awaitRequest()) != null) {
                seen.add(r.headers());
                if (r.path().equals("/refused") && refused.compareAndSet(false, true)) {
                  c.reset(r.stream(), REFUSED_STREAM);
                  c.flush();
                  continue;
                }
                if (r.path().equals("/early")) {
                  c.headers(
                      r.stream(),
                      false,
                      ":status",
                      "103",
                      "link",
                      "</a.css>; rel=preload",
                      "te",
                      "trailers",
                      "trailer",
                      "x-t");
                }
                c.headers(
                    r.stream(),
                    false,
                    ":status",
                    "200",
                    "te",
                    "trailers",
                    "trailer",
                    "x-t",
                    "x-app",
                    "a1");
                c.data(r.stream(), false, "body " + r.path());
                c.headers(r.stream(), true, "x-t", "1");
                c.flush();
              }
            });
  }

  private void startProxy(String extraYaml, boolean mirrored) throws Exception {
    backend = backend(requests);
    String endpoint = "{ endpoints: [\"" + backend.endpoint() + "\"], protocol: h2c }";
    List<String> lines =
        new ArrayList<>(
            List.of(
                "listen: 127.0.0.1:0",
                "ioThreads: 1",
                "admin:",
                "  listen: 127.0.0.1:0",
                "backends:",
                "  stable: " + endpoint,
                "  canary: " + endpoint));
    if (mirrored) {
      shadow = backend(shadowRequests);
      lines.add("  shadow: { endpoints: [\"" + shadow.endpoint() + "\"], protocol: h2c }");
    }
    lines.addAll(
        List.of("routing:", "  canaryPercent: 0", "  salt: \"request-block-salt\"", extraYaml, ""));
    ProxyConfig config = ConfigLoader.parse(String.join("\n", lines));
    if (mirrored) {
      proxy =
          new RunningProxy(
              config,
              new Mirroring(
                  config.mirror(), config.backends(), "stable", "salt", config.timeouts(), null));
    } else {
      proxy = new RunningProxy(config);
    }
  }

  /** Sends a GET of {@code fields} on stream 1 and returns the header blocks of its answer. */
  private static List<Http2Headers> get(RawH2Client c, String... fields) throws Exception {
    c.frame(HEADERS, END_HEADERS | END_STREAM, 1, RawH2Client.block(fields));
    c.flush();
    DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
    List<Http2Headers> blocks = new ArrayList<>();
    RawH2Client.Frame f;
    boolean ended = false;
    while (!ended && (f = c.read()) != null) {
      if (f.type() == HEADERS && f.stream() == 1) {
        ByteBuf block = Unpooled.wrappedBuffer(f.payload());
        try {
          blocks.add(decoder.decodeHeaders(1, block));
        } finally {
          block.release();
        }
      }
      ended = f.stream() == 1 && (f.flags() & END_STREAM) != 0;
    }
    return blocks;
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

  @Test
  void aStreamRefusedUnprocessedIsSentAgainWithTheSameFields() throws Exception {
    startProxy("", false);
    List<Http2Headers> answer;
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      answer =
          get(
              c,
              ":method",
              "GET",
              ":scheme",
              "http",
              ":path",
              "/refused",
              ":authority",
              "app.test",
              "x-a",
              "one",
              "host",
              "other.test",
              "te",
              "trailers");
    }
    assertThat(answer).isNotEmpty();
    assertThat(answer.get(0).status().toString()).isEqualTo("200");
    assertThat(requests).hasSize(2);
    for (Http2Headers r : requests) {
      assertThat(r.method().toString()).isEqualTo("GET");
      assertThat(r.scheme().toString()).isEqualTo("http");
      assertThat(r.path().toString()).isEqualTo("/refused");
      assertThat(r.authority().toString()).isEqualTo("app.test");
      // :authority is the host: no host field beside it, te once and last.
      assertThat(regular(r))
          .containsExactly(
              "x-a: one",
              "x-forwarded-for: 127.0.0.1",
              "x-forwarded-proto: http",
              "x-forwarded-host: app.test",
              "content-length: 0",
              "te: trailers");
    }
  }

  @Test
  void aMirroredRequestsShadowGetsItsOwnAuthorityAndThePrimaryKeepsTheClients() throws Exception {
    startProxy(String.join("\n", "mirror:", "  to: shadow", "  percent: 100"), true);
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      List<Http2Headers> answer =
          get(
              c,
              ":method",
              "GET",
              ":scheme",
              "http",
              ":path",
              "/m",
              ":authority",
              "app.test:8080",
              "x-a",
              "one");
      assertThat(answer).isNotEmpty();
      assertThat(answer.get(0).status().toString()).isEqualTo("200");
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> shadowRequests.size() == 1);
    assertThat(requests).hasSize(1);
    Http2Headers primary = requests.get(0);
    Http2Headers copy = shadowRequests.get(0);
    assertThat(primary.authority().toString()).isEqualTo("app.test:8080");
    assertThat(regular(primary))
        .containsExactly(
            "x-a: one",
            "x-forwarded-for: 127.0.0.1",
            "x-forwarded-proto: http",
            "x-forwarded-host: app.test:8080",
            "content-length: 0",
            "te: trailers");
    assertThat(copy.authority().toString()).isEqualTo("app.test-shadow:8080");
    assertThat(copy.path().toString()).isEqualTo("/m");
    assertThat(regular(copy))
        .containsExactlyInAnyOrder(
            "x-a: one",
            "x-forwarded-for: 127.0.0.1",
            "x-forwarded-proto: http",
            "x-forwarded-host: app.test:8080",
            "x-canary-mirror: 1",
            "content-length: 0",
            "te: trailers");
  }

  @Test
  void anInterimHeadReachesTheClientWithoutHopByHopFields() throws Exception {
    startProxy("", false);
    List<Http2Headers> answer;
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      answer =
          get(
              c,
              ":method",
              "GET",
              ":scheme",
              "http",
              ":path",
              "/early",
              ":authority",
              "app.test",
              "te",
              "trailers");
    }
    assertThat(answer).hasSize(3);
    assertThat(answer.get(0).status().toString()).isEqualTo("103");
    assertThat(regular(answer.get(0))).containsExactly("link: </a.css>; rel=preload");
    assertThat(answer.get(1).status().toString()).isEqualTo("200");
    assertThat(regular(answer.get(1))).contains("x-app: a1").noneMatch(f -> f.startsWith("te:"));
    assertThat(regular(answer.get(1))).noneMatch(f -> f.startsWith("trailer:"));
    assertThat(regular(answer.get(2))).containsExactly("x-t: 1");
  }
}
