package io.canaryproxy.coordination;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.canaryproxy.analysis.JudgeInput;
import io.canaryproxy.analysis.JudgeInput.Baseline;
import io.canaryproxy.analysis.JudgeInput.MirrorSample;
import io.canaryproxy.analysis.JudgeInput.VariantSample;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The evidence a replica publishes survives the store's encoding exactly, and the leader's sum is
 * what one process would have recorded from all the replicas' requests (the oracle: one histogram
 * fed every value).
 */
class EvidenceTest {
  @Test
  void encodingRoundTripsHistogramsAndCounts() throws IOException {
    JudgeInput in = input(new Random(1), 2_000, 7, true);
    Evidence e = new Evidence("host-a/10.0.0.1:8080", 42, 3, "2026-12-01T23:00:00Z", in);

    Evidence back = Evidence.decode(e.encode());

    assertThat(back.replica()).isEqualTo("host-a/10.0.0.1:8080");
    assertThat(back.seq()).isEqualTo(42);
    assertThat(back.step()).isEqualTo(3);
    assertThat(back.input().stable().latencyMicros()).isEqualTo(in.stable().latencyMicros());
    assertThat(back.input().canary().latencyMicros()).isEqualTo(in.canary().latencyMicros());
    assertThat(back.input().canary().requests()).isEqualTo(in.canary().requests());
    assertThat(back.input().canary().errors()).isEqualTo(7);
    assertThat(back.input().mirror().shadowLatencyMicros())
        .isEqualTo(in.mirror().shadowLatencyMicros());
    assertThat(back.input().mirror().baseline()).isEqualTo(new Baseline(40, 2));
  }

  @Test
  void sumOfReplicasEqualsOneHistogramOfEveryRequest() {
    Random random = new Random(7);
    Histogram oracle = new Histogram(3);
    List<JudgeInput> parts = new java.util.ArrayList<>();
    long requests = 0;
    for (int r = 0; r < 3; r++) {
      Histogram h = new Histogram(3);
      for (int i = 0; i < 1_000 + r * 500; i++) {
        long micros = 1_000 + (long) (random.nextGaussian() * 200 + 400 * r);
        h.recordValue(Math.max(1, micros));
        oracle.recordValue(Math.max(1, micros));
      }
      requests += h.getTotalCount();
      parts.add(
          new JudgeInput(
              new VariantSample(new Histogram(3), 0, 0),
              new VariantSample(h, h.getTotalCount(), r),
              null));
    }

    JudgeInput sum = Evidence.merge(parts);

    assertThat(sum.canary().latencyMicros()).isEqualTo(oracle);
    assertThat(sum.canary().requests()).isEqualTo(requests);
    assertThat(sum.canary().errors()).isEqualTo(0 + 1 + 2);
    assertThat(sum.mirror()).isNull();
  }

  @Test
  void malformedEvidenceIsAnIoErrorNotACrash() {
    byte[] bad =
        "{\"replica\":\"a\",\"stable\":{\"latency\":\"bm90IGEgaGlzdG9ncmFt\"}}"
            .getBytes(StandardCharsets.UTF_8);
    assertThatThrownBy(() -> Evidence.decode(bad)).isInstanceOf(IOException.class);
  }

  private static JudgeInput input(Random random, int n, long canaryErrors, boolean mirror) {
    Histogram stable = new Histogram(3);
    Histogram canary = new Histogram(3);
    Histogram shadow = new Histogram(3);
    for (int i = 0; i < n; i++) {
      stable.recordValue(500 + random.nextInt(5_000));
      canary.recordValue(700 + random.nextInt(9_000));
      shadow.recordValue(400 + random.nextInt(3_000));
    }
    return new JudgeInput(
        new VariantSample(stable, n, 0),
        new VariantSample(canary, n, canaryErrors),
        mirror ? new MirrorSample(100, 3, shadow, new Baseline(40, 2)) : null);
  }
}
