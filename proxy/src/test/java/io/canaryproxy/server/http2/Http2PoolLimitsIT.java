package io.canaryproxy.server.http2;

import static io.canaryproxy.server.http2.RawH2Client.END_HEADERS;
import static io.canaryproxy.server.http2.RawH2Client.END_STREAM;
import static io.canaryproxy.server.http2.RawH2Client.HEADERS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.testing.RunningProxy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http2.DefaultHttp2HeadersDecoder;
import io.netty.handler.codec.http2.Http2Headers;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code pool_exhausted} on HTTP/2 backends, as for HTTP/1.1 (README, "Answers the proxy gives
 * itself"): when every connection the pool may open ({@code maxConnections}) is at its peer's
 * {@code SETTINGS_MAX_CONCURRENT_STREAMS}, a request is answered 503 {@code pool_exhausted} at once
 * and counted, not queued behind the streams in flight; also when that limit is learned only from a
 * new connection's first SETTINGS.
 */
class Http2PoolLimitsIT {
  private final H2BackendHarness h = new H2BackendHarness();
  private RunningProxy proxy;

  @AfterEach
  void stop() throws Exception {
    h.close();
  }

  private void startProxy(String endpoint) throws Exception {
    proxy = h.startProxy(endpoint, "maxConnections: 1", "");
  }

  @Test
  void aRequestFindingEveryAllowedConnectionAtItsStreamLimitIsPoolExhausted() throws Exception {
    try (H2Backend one = H2Backend.held(1)) {
      startProxy(one.endpoint());
      CompletableFuture<String> first = h.getAsync("/one");
      await().untilAsserted(() -> assertThat(one.heldCount.get()).isEqualTo(1));
      assertThat(h.get("/two"))
          .startsWith("HTTP/1.1 503 ")
          .containsIgnoringCase("x-canary-proxy-error: pool_exhausted\r\n");
      one.releaseAll();
      assertThat(first.get(30, TimeUnit.SECONDS)).startsWith("HTTP/1.1 200 OK\r\n");
      assertThat(one.connections.get()).isEqualTo(1);
      assertThat(proxy.upstreamFailures()).containsExactly("pool_exhausted");
    }
  }

  /**
   * Two streams from one HTTP/2 client, in one write: both wait for the backend's first SETTINGS on
   * the one connection allowed, which then allows a single stream. The first is served; the second
   * is answered {@code pool_exhausted} rather than queued behind it.
   */
  @Test
  void aStreamLimitLearnedFromTheFirstSettingsExhaustsThePoolAtOnce() throws Exception {
    RawH2Backend b =
        h.backendWith(
            n ->
                c -> {
                  c.settings(0x3, 1); // SETTINGS_MAX_CONCURRENT_STREAMS = 1
                  RawH2Backend.Request r;
                  while ((r = c.awaitRequest()) != null) {
                    c.answer(r.stream(), "c" + c.number + " " + r.path());
                  }
                });
    startProxy(b.endpoint());
    Map<Integer, Http2Headers> heads = new HashMap<>();
    Map<Integer, String> bodies = new HashMap<>();
    try (RawH2Client c = new RawH2Client(proxy.port())) {
      c.frame(HEADERS, END_HEADERS | END_STREAM, 1, RawH2Client.requestBlock("GET", "/p1"));
      c.frame(HEADERS, END_HEADERS | END_STREAM, 3, RawH2Client.requestBlock("GET", "/p3"));
      c.flush();
      DefaultHttp2HeadersDecoder decoder = new DefaultHttp2HeadersDecoder(false);
      Map<Integer, ByteArrayOutputStream> data = new HashMap<>();
      int ended = 0;
      RawH2Client.Frame f;
      while (ended < 2 && (f = c.read()) != null) {
        if (f.type() == HEADERS && !heads.containsKey(f.stream())) {
          ByteBuf block = Unpooled.wrappedBuffer(f.payload());
          try {
            heads.put(f.stream(), decoder.decodeHeaders(f.stream(), block));
          } finally {
            block.release();
          }
        } else if (f.type() == RawH2Client.DATA) {
          data.computeIfAbsent(f.stream(), k -> new ByteArrayOutputStream())
              .writeBytes(f.payload());
        }
        if (f.stream() > 0
            && (f.type() == HEADERS || f.type() == RawH2Client.DATA)
            && (f.flags() & END_STREAM) != 0) {
          ended++;
        }
      }
      data.forEach((k, v) -> bodies.put(k, v.toString(StandardCharsets.US_ASCII)));
    }
    assertThat(heads.get(1).status().toString()).isEqualTo("200");
    assertThat(bodies.get(1)).isEqualTo("c1 /p1");
    assertThat(heads.get(3).status().toString()).isEqualTo("503");
    assertThat(heads.get(3).get("x-canary-proxy-error").toString()).isEqualTo("pool_exhausted");
    assertThat(b.connections.get()).isEqualTo(1);
    await()
        .untilAsserted(
            () -> assertThat(proxy.upstreamFailures()).containsExactly("pool_exhausted"));
  }
}
