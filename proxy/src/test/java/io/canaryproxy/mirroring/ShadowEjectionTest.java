package io.canaryproxy.mirroring;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.MirrorConfig.EjectionConfig;
import io.canaryproxy.mirroring.MirrorStats.Outcome;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link ShadowEjection} on a clock the test moves. */
class ShadowEjectionTest {
  private final AtomicLong now = new AtomicLong(1_000);

  private ShadowEjection ejection(int failures, Duration base, Duration max) {
    return new ShadowEjection("shadow", new EjectionConfig(failures, base, max), now::get);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  /** {@code n} copies started now fail. */
  private void fail(ShadowEjection e, int n) {
    for (int i = 0; i < n; i++) {
      e.failed(i % 2 == 0 ? Outcome.TIMEOUT : Outcome.FAILED, now.get());
    }
  }

  @Test
  void ejectsAfterTheThresholdForBaseTimeThenResumes() {
    ShadowEjection e = ejection(5, Duration.ofSeconds(10), Duration.ofMinutes(5));
    fail(e, 4);
    assertThat(e.admits()).isTrue();
    fail(e, 1);
    assertThat(e.admits()).isFalse();
    assertThat(e.isEjected()).isTrue();
    advance(Duration.ofSeconds(10).minusNanos(1));
    assertThat(e.admits()).isFalse();
    advance(Duration.ofNanos(1));
    assertThat(e.admits()).isTrue();
    assertThat(e.isEjected()).isFalse();
    assertThat(e.admits()).isTrue();
  }

  @Test
  void eachEjectionWithoutAnAnswerLastsTwiceAsLongUpToTheMaximum() {
    ShadowEjection e = ejection(2, Duration.ofSeconds(10), Duration.ofSeconds(35));
    long[] expected = {10, 20, 35, 35};
    for (long seconds : expected) {
      fail(e, 2);
      advance(Duration.ofSeconds(seconds).minusMillis(1));
      assertThat(e.admits()).as("ejected for %ss", seconds).isFalse();
      advance(Duration.ofMillis(1));
      assertThat(e.admits()).isTrue();
    }
  }

  @Test
  void anAnswerResetsTheCountAndTheEjectionTime() {
    ShadowEjection e = ejection(3, Duration.ofSeconds(10), Duration.ofMinutes(5));
    fail(e, 3);
    advance(Duration.ofSeconds(10));
    assertThat(e.admits()).isTrue(); // the next ejection would last 20s
    for (int i = 0; i < 10; i++) {
      fail(e, 2);
      e.answered();
    }
    assertThat(e.admits()).isTrue();
    fail(e, 3);
    advance(Duration.ofSeconds(10));
    assertThat(e.admits()).as("back to the base time").isTrue();
  }

  @Test
  void copiesStartedBeforeTheLastResumeDoNotCount() {
    ShadowEjection e = ejection(3, Duration.ofSeconds(10), Duration.ofMinutes(5));
    long before = now.get();
    fail(e, 3);
    advance(Duration.ofSeconds(10));
    assertThat(e.admits()).isTrue();
    // Copies in flight when the shadow was ejected time out only now.
    for (int i = 0; i < 10; i++) {
      e.failed(Outcome.TIMEOUT, before);
    }
    assertThat(e.admits()).isTrue();
    fail(e, 3);
    assertThat(e.admits()).isFalse();
  }

  @Test
  void zeroFailuresTurnsEjectionOff() {
    ShadowEjection e = ejection(0, Duration.ofSeconds(10), Duration.ofMinutes(5));
    fail(e, 1_000);
    assertThat(e.admits()).isTrue();
    assertThat(e.isEjected()).isFalse();
  }

  @ParameterizedTest
  @CsvSource({"0, 10", "1, 20", "4, 160", "5, 300", "62, 300", "1000, 300"})
  void lengthDoublesWithoutOverflow(int previous, long seconds) {
    ShadowEjection e = ejection(1, Duration.ofSeconds(10), Duration.ofMinutes(5));
    assertThat(TimeUnit.NANOSECONDS.toSeconds(e.length(previous))).isEqualTo(seconds);
  }
}
