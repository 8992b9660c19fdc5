package io.canaryproxy.routing;

import java.nio.charset.StandardCharsets;

/**
 * Sticky cohorts as a pure function: a user's bucket is {@code murmur3_32(salt + ":" + userKey) mod
 * 10000} (UTF-8, seed 0, hash read as unsigned), and the user is in the canary when {@code bucket <
 * round(canaryPercent × 100)}. Raising the percentage only adds users, and every replica agrees
 * without sharing state.
 */
public final class Cohorts {
  /** Number of buckets; one bucket is 0.01% of users. */
  public static final int BUCKETS = 10_000;

  private static final int C1 = 0xcc9e2d51;
  private static final int C2 = 0x1b873593;

  private Cohorts() {}

  /** The bucket, 0..9999, of {@code userKey} under {@code salt}. */
  public static int bucket(String salt, String userKey) {
    byte[] bytes = (salt + ":" + userKey).getBytes(StandardCharsets.UTF_8);
    return toBucket(murmur3_32(bytes, 0, bytes.length, 0));
  }

  /** True when a user in {@code bucket} belongs to the canary at {@code canaryPercent} (0..100). */
  public static boolean inCanary(int bucket, double canaryPercent) {
    return bucket >= 0 && bucket < threshold(canaryPercent);
  }

  /**
   * The number of buckets, 0..10000, that are in the canary at {@code canaryPercent}: {@code
   * round(p × 100)}.
   */
  public static int threshold(double canaryPercent) {
    return (int) Math.round(canaryPercent * 100);
  }

  /**
   * MurmurHash3 x86_32 of {@code len} bytes of {@code data} from {@code offset}, as Austin Appleby
   * defines it.
   */
  public static int murmur3_32(byte[] data, int offset, int len, int seed) {
    int h1 = seed;
    int end = offset + (len & ~3);
    for (int i = offset; i < end; i += 4) {
      int k1 =
          (data[i] & 0xff)
              | (data[i + 1] & 0xff) << 8
              | (data[i + 2] & 0xff) << 16
              | (data[i + 3] & 0xff) << 24;
      h1 = mixBlock(h1, k1);
    }
    int k1 = 0;
    switch (len & 3) {
      case 3:
        k1 ^= (data[end + 2] & 0xff) << 16;
      // fall through
      case 2:
        k1 ^= (data[end + 1] & 0xff) << 8;
      // fall through
      case 1:
        k1 ^= data[end] & 0xff;
        h1 ^= mixK(k1);
        break;
      default:
        break;
    }
    return finish(h1, len);
  }

  static int toBucket(int hash) {
    return (int) (Integer.toUnsignedLong(hash) % BUCKETS);
  }

  static int mixK(int k1) {
    k1 *= C1;
    k1 = Integer.rotateLeft(k1, 15);
    return k1 * C2;
  }

  static int mixBlock(int h1, int k1) {
    h1 ^= mixK(k1);
    h1 = Integer.rotateLeft(h1, 13);
    return h1 * 5 + 0xe6546b64;
  }

  /**
   * Mixes the last partial block (0..3 bytes, little-endian in {@code tail}), the length, and
   * avalanches.
   */
  static int finish(int h1, int tail, int tailLen, int length) {
    if (tailLen > 0) {
      h1 ^= mixK(tail);
    }
    return finish(h1, length);
  }

  private static int finish(int h1, int length) {
    h1 ^= length;
    h1 ^= h1 >>> 16;
    h1 *= 0x85ebca6b;
    h1 ^= h1 >>> 13;
    h1 *= 0xc2b2ae35;
    h1 ^= h1 >>> 16;
    return h1;
  }
}
