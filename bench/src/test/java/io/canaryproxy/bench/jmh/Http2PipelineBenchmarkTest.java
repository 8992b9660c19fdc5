package io.canaryproxy.bench.jmh;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The h2 benchmark measures what it says: its set-up sends 1,025 requests over the client's HTTP/2
 * connection and fails unless each came back as a DATA frame ending its stream with the backend's
 * body, and a batch (the measured operation) gets the same.
 */
class Http2PipelineBenchmarkTest {
  @Test
  void everyRequestOfABatchIsAnsweredWithTheBackendsBody() throws Exception {
    Http2PipelineBenchmark b = new Http2PipelineBenchmark();
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
