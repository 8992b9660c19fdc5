package io.canaryproxy.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The h2 benchmark measures what it says, for each kind of request: its set-up sends 1,025 requests
 * over the client's HTTP/2 connection and fails unless each stream ended after a DATA frame
 * carrying the backend's body, and a batch (the measured operation) gets the same.
 */
class Http2PipelineBenchmarkTest {
  @ParameterizedTest
  @ValueSource(strings = {"get", "grpc", "post"})
  void everyRequestOfABatchIsAnsweredWithTheBackendsBody(String kind) throws Exception {
    Http2PipelineBenchmark b = new Http2PipelineBenchmark();
    b.kind = kind;
    b.setUp();
    try {
      int bytes = b.proxyOneRequest();
      // per request at least: the response HEADERS (9 + a header block) and a DATA frame of 7
      assertThat(bytes).isGreaterThanOrEqualTo(Http2PipelineBenchmark.BATCH * (9 + 1 + 9 + 7));
      assertThat(b.lastBatchEnds()).isEqualTo(Http2PipelineBenchmark.BATCH);
    } finally {
      b.tearDown();
    }
  }
}
