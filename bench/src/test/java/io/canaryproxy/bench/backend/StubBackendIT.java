package io.canaryproxy.bench.backend;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class StubBackendIT {
  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(StubBackend backend) throws Exception {
    return client.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + backend.port() + "/any")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersWithTheBodyAndNamesItself() throws Exception {
    try (StubBackend backend =
        StubBackend.builder().body("hello").variantName("stable-1").start()) {
      HttpResponse<String> r = get(backend);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("hello");
      assertThat(r.headers().firstValue("x-backend")).hasValue("stable-1");
      assertThat(backend.served()).isEqualTo(1);
    }
  }

  @Test
  void responseSizeSetsTheBodyLength() throws Exception {
    try (StubBackend backend = StubBackend.builder().responseSize(10_000).start()) {
      assertThat(get(backend).body()).hasSize(10_000);
    }
  }

  @Test
  void waitsTheConfiguredLatency() throws Exception {
    try (StubBackend backend = StubBackend.builder().latency(Duration.ofMillis(150)).start()) {
      long start = System.nanoTime();
      assertThat(get(backend).statusCode()).isEqualTo(200);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(150_000_000L);
    }
  }

  @Test
  void turnsBadAfterTheDegradeTime() throws Exception {
    try (StubBackend backend =
        StubBackend.builder()
            .degradeAfter(Duration.ZERO, LatencyDistribution.fixed(Duration.ofMillis(50)), 1.0)
            .start()) {
      long start = System.nanoTime();
      assertThat(get(backend).statusCode()).isEqualTo(500);
      assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(50_000_000L);
    }
  }

  @Test
  void errorRateZeroNeverFails() throws Exception {
    try (StubBackend backend = StubBackend.builder().errorRate(0).start()) {
      for (int i = 0; i < 20; i++) {
        assertThat(get(backend).statusCode()).isEqualTo(200);
      }
    }
  }
}
