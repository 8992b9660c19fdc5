package io.canaryproxy.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The open-loop schedule: slot i is due exactly floor(i * 1e9 / rate) ns after the start. */
class SlotScheduleTest {
  private static final long S = 1_000_000_000L;

  @ParameterizedTest
  @CsvSource({
    "300, 0, 0",
    "300, 150, 500000000",
    "300, 750, 2500000000",
    "300, 1, 3333333",
    "7, 3, 428571428",
    "7, 7, 1000000000",
    "7, 14, 2000000000",
    "900, 900, 1000000000",
    "900, 1800, 2000000000",
    "900, 2700, 3000000000",
    "1000, 3600000, 3600000000000",
    "10000000, 36000000000, 3600000000000"
  })
  void aSlotDueOnAWholeSecondIsExactlyOnIt(double rate, long slot, long offset) {
    assertThat(LoadGenerator.Run.slotOffsetNanos(slot, rate)).isEqualTo(offset);
  }

  @Test
  void fractionalRatesAreExactToo() {
    // 1/3 and 0.7 are not exact doubles: 1/3 rounds down (slot 1 a hair after 3 s), 0.7 rounds
    // down (slot 7 a hair after 10 s); the floor of either is the whole second.
    assertThat(LoadGenerator.Run.slotOffsetNanos(1, 1.0 / 3)).isEqualTo(3 * S);
    assertThat(LoadGenerator.Run.slotOffsetNanos(2, 1.0 / 3)).isEqualTo(6 * S);
    assertThat(LoadGenerator.Run.slotOffsetNanos(7, 0.7)).isEqualTo(10 * S);
    assertThat(LoadGenerator.Run.slotOffsetNanos(3, 0.5)).isEqualTo(6 * S);
    assertThat(LoadGenerator.Run.slotOffsetNanos(1, 1500.5)).isEqualTo(666_444);
    assertThat(LoadGenerator.Run.slotOffsetNanos(3001, 1500.5)).isEqualTo(2 * S);
  }

  /** Counts the slots whose intended time falls in [warmup, warmup + duration). */
  private static long measured(double rate, long warmupNanos, long durationNanos) {
    long end = warmupNanos + durationNanos;
    long n = 0;
    for (long i = 0; ; i++) {
      long t = LoadGenerator.Run.slotOffsetNanos(i, rate);
      if (t >= end) {
        return n;
      }
      if (t >= warmupNanos) {
        n++;
      }
    }
  }

  @ParameterizedTest
  @CsvSource({
    "300, 500000000, 2000000000, 600",
    "300, 0, 1000000000, 300",
    "7, 0, 1000000000, 7",
    "7, 1000000000, 3000000000, 21",
    "900, 0, 1000000000, 900",
    "900, 500000000, 2000000000, 1800",
    "900, 3000000000, 7000000000, 6300",
    "400, 0, 6000000000, 2400",
    "100, 0, 2000000000, 200",
    "0.5, 0, 10000000000, 5",
    "1500.5, 0, 2000000000, 3001"
  })
  void theMeasuredWindowHoldsRateTimesDurationSlots(
      double rate, long warmupNanos, long durationNanos, long expected) {
    assertThat(measured(rate, warmupNanos, durationNanos)).isEqualTo(expected);
  }
}
