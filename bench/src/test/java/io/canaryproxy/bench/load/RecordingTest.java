package io.canaryproxy.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.bench.report.BenchResult;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RecordingTest {
  private static final long MS = 1_000_000;

  @Test
  void correctedCountsFromTheIntendedTimeAndUncorrectedFromTheSend() {
    Recording r = new Recording();
    // Intended at 0, sent 300 ms late (the connection was busy), answered 10 ms after the send.
    r.response(0, 300 * MS, 310 * MS, 200, null);
    Histogram corrected = r.corrected.getIntervalHistogram();
    Histogram uncorrected = r.uncorrected.getIntervalHistogram();
    assertThat(BenchResult.ms(corrected, 100))
        .isCloseTo(310, org.assertj.core.data.Offset.offset(0.5));
    assertThat(BenchResult.ms(uncorrected, 100))
        .isCloseTo(10, org.assertj.core.data.Offset.offset(0.05));
  }

  @ParameterizedTest
  @CsvSource({"200, 0, ''", "302, 0, ''", "404, 1, status4xx", "503, 1, status5xx"})
  void statusErrorsAreCountedAndStillTimed(int status, long errors, String type) {
    Recording r = new Recording();
    r.response(0, 0, MS, status, "canary");
    assertThat(r.errors.sum()).isEqualTo(errors);
    assertThat(r.requests.sum()).isEqualTo(1);
    assertThat(r.responses.sum()).isEqualTo(1);
    assertThat(r.corrected.getIntervalHistogram().getTotalCount()).isEqualTo(1);
    assertThat(r.variants().get("canary").errors()).isEqualTo(errors);
    if (!type.isEmpty()) {
      assertThat(r.errorsByType()).containsEntry(type, 1L);
    }
    assertThat(r.statusCodes()).containsEntry(Integer.toString(status), 1L);
  }

  @Test
  void transportFailuresCountAsRequestsWithoutLatency() {
    Recording r = new Recording();
    r.failure(ErrorType.TIMEOUT);
    r.failure(ErrorType.CONNECT);
    assertThat(r.requests.sum()).isEqualTo(2);
    assertThat(r.responses.sum()).isZero();
    assertThat(r.errorsByType()).containsEntry("timeout", 1L).containsEntry("connect", 1L);
    assertThat(r.corrected.getIntervalHistogram().getTotalCount()).isZero();
  }

  @Test
  void variantNamesAreBounded() {
    Recording r = new Recording();
    for (int i = 0; i < 40; i++) {
      r.response(0, 0, MS, 200, "v" + i);
    }
    assertThat(r.variants()).hasSize(Recording.MAX_VARIANTS + 1).containsKey("other");
    assertThat(r.variants().get("other").requests()).isEqualTo(40 - Recording.MAX_VARIANTS);
  }
}
