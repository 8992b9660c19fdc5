package io.canaryproxy.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class UserPickerTest {
  @Test
  void uniformCoversEveryUserEvenly() {
    UserPicker picker = UserPicker.parse("uniform", 10);
    int[] counts = new int[11];
    Random random = new Random(1);
    for (int i = 0; i < 100_000; i++) {
      counts[picker.nextIndex(random)]++;
    }
    assertThat(counts[0]).isZero();
    for (int k = 1; k <= 10; k++) {
      assertThat(counts[k]).isBetween(9_000, 11_000);
    }
  }

  @Test
  void zipfFavoursTheFirstUsersByThePowerLaw() {
    UserPicker picker = UserPicker.parse("zipf:1", 1000);
    int[] counts = new int[1001];
    Random random = new Random(2);
    for (int i = 0; i < 200_000; i++) {
      counts[picker.nextIndex(random)]++;
    }
    // With s = 1, user 1 is drawn twice as often as user 2 and ten times as often as user 10.
    assertThat(counts[1] / (double) counts[2]).isBetween(1.8, 2.2);
    assertThat(counts[1] / (double) counts[10]).isBetween(8.5, 11.5);
    assertThat(picker.next(random)).startsWith("user-");
  }

  @ParameterizedTest
  @CsvSource({
    "zipf:0, 10, 'user-dist: zipf:0 (expected: uniform | zipf:S with 0 < S <= 10)'",
    "zipf:x, 10, 'user-dist: zipf:x (expected: uniform | zipf:S with 0 < S <= 10)'",
    "normal, 10, 'user-dist: normal (expected: uniform | zipf:S with 0 < S <= 10)'",
    "uniform, 0, 'users: 0 (expected: 1..1000000)'",
    "uniform, 2000000, 'users: 2000000 (expected: 1..1000000)'"
  })
  void rejectsBadSpecs(String dist, int users, String message) {
    assertThatThrownBy(() -> UserPicker.parse(dist, users)).hasMessage(message);
  }
}
