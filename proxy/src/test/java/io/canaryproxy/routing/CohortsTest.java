package io.canaryproxy.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.canaryproxy.config.RoutingConfig;
import io.canaryproxy.config.RoutingConfig.Anonymous;
import io.canaryproxy.config.RoutingConfig.UserKeySource;
import io.canaryproxy.config.RoutingConfig.UserKeySource.Kind;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CohortsTest {
  private static final int USERS = 100_000;

  @ParameterizedTest(name = "murmur3_32(0x{0}, seed {1}) = {2}")
  @CsvSource({
    "'', 00000000, 00000000",
    "'', 00000001, 514e28b7",
    "'', ffffffff, 81f16f39",
    "ffffffff, 00000000, 76293b50",
    "21436587, 00000000, f55b516b",
    "21436587, 5082edee, 2362f9de",
    "214365, 00000000, 7e4a8634",
    "2143, 00000000, a0f7b07a",
    "21, 00000000, 72661cf4",
    "00000000, 00000000, 2362f9de",
    "000000, 00000000, 85f0b427",
    "0000, 00000000, 30f4c306",
    "00, 00000000, 514e28b7"
  })
  void murmurMatchesReferenceVectorsForBytes(String hex, String seed, String expected) {
    byte[] data = HexFormat.of().parseHex(hex);
    // the same bytes at an offset inside a larger array must hash the same
    byte[] padded = new byte[data.length + 3];
    System.arraycopy(data, 0, padded, 2, data.length);

    int want = Integer.parseUnsignedInt(expected, 16);
    int s = Integer.parseUnsignedInt(seed, 16);
    assertThat(Cohorts.murmur3_32(data, 0, data.length, s)).isEqualTo(want);
    assertThat(Cohorts.murmur3_32(padded, 2, data.length, s)).isEqualTo(want);
  }

  @ParameterizedTest(name = "murmur3_32(\"{0}\", seed {1}) = {2}")
  @CsvSource({
    "aaaa, 9747b28c, 5a97808a",
    "aaa, 9747b28c, 283e0130",
    "aa, 9747b28c, 5d211726",
    "a, 9747b28c, 7fa09ea6",
    "abcd, 9747b28c, f0478627",
    "abc, 9747b28c, c84a62dd",
    "ab, 9747b28c, 74875592",
    "'Hello, world!', 9747b28c, 24884cba",
    "ππππππππ, 9747b28c, d58063c1",
    "The quick brown fox jumps over the lazy dog, 9747b28c, 2fa826cd",
    "The quick brown fox jumps over the lazy dog, 00000000, 2e4ff723"
  })
  void murmurMatchesReferenceVectorsForText(String text, String seed, String expected) {
    byte[] data = text.getBytes(StandardCharsets.UTF_8);

    assertThat(Cohorts.murmur3_32(data, 0, data.length, Integer.parseUnsignedInt(seed, 16)))
        .isEqualTo(Integer.parseUnsignedInt(expected, 16));
  }

  @Test
  void bucketIsTheUnsignedHashOfSaltColonKeyModTenThousand() {
    byte[] bytes = "release-42:user-7".getBytes(StandardCharsets.UTF_8);
    long unsigned = Integer.toUnsignedLong(Cohorts.murmur3_32(bytes, 0, bytes.length, 0));

    assertThat(Cohorts.bucket("release-42", "user-7")).isEqualTo((int) (unsigned % 10_000));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "s", "sa", "sal", "salt", "release-42", "ü-salt", "日本"})
  void saltedHasherEqualsTheDefinitionForEveryAlignment(String salt) {
    SaltedHasher hasher = new SaltedHasher(salt);
    List<String> keys =
        List.of(
            "",
            "a",
            "ab",
            "abc",
            "abcd",
            "abcde",
            "user-123456",
            "Zoë",
            "ユーザー",
            "emoji-\uD83D\uDE00",
            "lone-\uD800-surrogate");
    for (String key : keys) {
      assertThat(hasher.bucket(key))
          .as("salt %s key %s", salt, key)
          .isEqualTo(Cohorts.bucket(salt, key));
    }
    for (int i = 0; i < 10_000; i++) {
      String key = "u" + i;
      assertThat(hasher.bucket(key)).isEqualTo(Cohorts.bucket(salt, key));
    }
  }

  @Test
  void sameKeyGetsTheSameBucketEveryTimeAndOnEveryReplica() {
    RoutingTable replicaA = table("r1", 30);
    RoutingTable replicaB = table("r1", 30);
    RoutingResult a = new RoutingResult();
    RoutingResult b = new RoutingResult();
    for (int i = 0; i < 1000; i++) {
      FakeRequest req = FakeRequest.request().header("x-user-id", "user-" + i);
      replicaA.route(req, a);
      int first = a.bucket;
      replicaA.route(req, a);
      replicaB.route(req, b);

      assertThat(a.bucket)
          .isEqualTo(first)
          .isEqualTo(b.bucket)
          .isEqualTo(Cohorts.bucket("r1", "user-" + i));
      assertThat(a.variant).isEqualTo(b.variant);
    }
  }

  @Test
  void bucketsStayInRange() {
    for (int i = 0; i < USERS; i++) {
      assertThat(Cohorts.bucket("", "user-" + i)).isBetween(0, 9999);
    }
  }

  @Test
  void raisingThePercentageOnlyAddsUsers() {
    double[] ramp = {0, 0.5, 1, 5, 10, 25, 33.33, 50, 75, 99.99, 100};
    for (int i = 0; i < USERS; i++) {
      int bucket = Cohorts.bucket("ramp", "user-" + i);
      boolean wasIn = false;
      for (double p : ramp) {
        boolean in = Cohorts.inCanary(bucket, p);
        assertThat(!wasIn || in).as("user-%d left the canary at %s%%", i, p).isTrue();
        wasIn = in;
      }
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0, 1, 10, 33.3, 50, 99, 100})
  void canaryShareOfDistinctUsersIsWithinHalfAPointOfThePercentage(double percent) {
    RoutingTable table = table("release-42", percent);
    RoutingResult out = new RoutingResult();
    int canary = 0;
    for (int i = 0; i < USERS; i++) {
      table.route(FakeRequest.request().header("x-user-id", "user-" + i), out);
      if (out.variant == Variant.CANARY) {
        canary++;
      }
    }
    assertThat(100.0 * canary / USERS).isCloseTo(percent, org.assertj.core.data.Offset.offset(0.5));
  }

  @Test
  void changingTheSaltReshufflesTheCohort() {
    int inA = 0;
    int inBoth = 0;
    for (int i = 0; i < USERS; i++) {
      boolean a = Cohorts.inCanary(Cohorts.bucket("release-41", "user-" + i), 10);
      boolean b = Cohorts.inCanary(Cohorts.bucket("release-42", "user-" + i), 10);
      inA += a ? 1 : 0;
      inBoth += a && b ? 1 : 0;
    }
    // independent 10% cohorts share about 10% of their members; the same cohort would share 100%
    assertThat((double) inBoth / inA).isBetween(0.07, 0.13);
  }

  @ParameterizedTest
  @CsvSource({"0, 0", "0.01, 1", "0.29, 29", "10, 1000", "33.335, 3334", "100, 10000"})
  void thresholdIsRoundedHundredthsOfAPercent(double percent, int buckets) {
    assertThat(Cohorts.threshold(percent)).isEqualTo(buckets);
    if (buckets > 0) {
      assertThat(Cohorts.inCanary(buckets - 1, percent)).isTrue();
    }
    assertThat(Cohorts.inCanary(buckets, percent)).isFalse();
  }

  @Test
  void noBucketIsNeverInTheCanary() {
    assertThat(Cohorts.inCanary(-1, 100)).isFalse();
  }

  static RoutingTable table(String salt, double percent) {
    return RoutingTable.compile(
        new RoutingConfig(
            "stable",
            "canary",
            List.of(new UserKeySource(Kind.HEADER, "x-user-id")),
            percent,
            salt,
            Anonymous.STABLE,
            null,
            List.of(),
            false));
  }
}
