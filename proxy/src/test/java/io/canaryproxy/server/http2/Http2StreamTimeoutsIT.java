package io.canaryproxy.server.http2;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.canaryproxy.config.ConfigLoader;
import io.canaryproxy.testing.RunningProxy;
import io.canaryproxy.testing.StubServer;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.Http2Error;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code timeouts.requestBody} per HTTP/2 stream, on a raw HTTP/2 client: a stream whose request
 * body stops is answered 408 and reset, as an HTTP/1.1 request would be, while another stream on
 * the same connection is served as usual.
 */
class Http2StreamTimeoutsIT {
  private StubServer backend;
  private RunningProxy proxy;

  @AfterEach
  void stop() {
    if (proxy != null) {
      proxy.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void aStalledRequestBodyGets408AndAResetWhileAnotherStreamIsServed() throws Exception {
    AtomicInteger requests = new AtomicInteger();
    backend =
        StubServer.start(
            (ctx, req) -> {
              requests.incrementAndGet();
              StubServer.reply(ctx, HttpResponseStatus.OK, "got " + req.bodyBytes() + "\n");
            });
    String yaml =
        String.join(
            "\n",
            "listen: 127.0.0.1:0",
            "ioThreads: 1",
            "admin:",
            "  listen: 127.0.0.1:0",
            "backends:",
            "  stable: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "  canary: { endpoints: [\"" + backend.endpoint() + "\"] }",
            "routing:",
            "  canaryPercent: 0",
            "timeouts: { requestBody: 1s }",
            "");
    proxy = new RunningProxy(ConfigLoader.parse(yaml));

    try (SlowH2Client client = new SlowH2Client(proxy.port(), 64 * 1024)) {
      SlowH2Client.Stream upload =
          client.open(
              new DefaultHttp2Headers()
                  .method("POST")
                  .scheme("http")
                  .authority("test.local")
                  .path("/upload"),
              new byte[1000],
              false); // the body never ends
      upload.readAll();
      await().atMost(Duration.ofSeconds(30)).until(() -> upload.reset.get() != null);
      assertThat(upload.status.get()).isEqualTo("408");
      // The client is told to stop sending; the connection stays.
      assertThat(upload.reset.get()).isEqualTo(Http2Error.NO_ERROR.code());

      SlowH2Client.Stream other = client.send(SlowH2Client.get("/other"), null);
      other.readAll();
      await().atMost(Duration.ofSeconds(30)).untilTrue(other.ended);
      assertThat(other.status.get()).isEqualTo("200");
      assertThat(other.reset.get()).isNull();
    }
    await().untilAsserted(() -> assertThat(proxy.done()).hasSize(2));
    assertThat(proxy.done()).extracting(RunningProxy.Done::status).containsExactly(408, 200);
    // The timed-out body never reached the backend (it was still being held, under 64 KiB).
    assertThat(requests.get()).isEqualTo(1);
  }
}
