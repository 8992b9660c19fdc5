package io.canaryproxy.routing;

import java.nio.charset.StandardCharsets;

/**
 * {@link Cohorts#bucket} for one salt, without building {@code salt + ":" + key}: the murmur3 state
 * after the salt prefix is computed once, and the key's characters are fed in per request. ASCII
 * keys allocate nothing; other keys are encoded to UTF-8 first.
 */
public final class SaltedHasher {
  private final int prefixHash;
  private final int prefixTail;
  private final int prefixTailLen;
  private final int prefixLen;

  /** A hasher for {@code salt}; the prefix {@code salt + ":"} is hashed here, once. */
  public SaltedHasher(String salt) {
    byte[] prefix = (salt + ":").getBytes(StandardCharsets.UTF_8);
    int h1 = 0;
    int blocks = prefix.length & ~3;
    for (int i = 0; i < blocks; i += 4) {
      h1 =
          Cohorts.mixBlock(
              h1,
              (prefix[i] & 0xff)
                  | (prefix[i + 1] & 0xff) << 8
                  | (prefix[i + 2] & 0xff) << 16
                  | (prefix[i + 3] & 0xff) << 24);
    }
    int tail = 0;
    for (int i = blocks; i < prefix.length; i++) {
      tail |= (prefix[i] & 0xff) << (8 * (i - blocks));
    }
    this.prefixHash = h1;
    this.prefixTail = tail;
    this.prefixTailLen = prefix.length - blocks;
    this.prefixLen = prefix.length;
  }

  /**
   * Equal to {@code Cohorts.bucket(salt, key.toString())}, 0..9999: a key given as a view of the
   * bytes received costs no string when it is ASCII.
   */
  public int bucket(CharSequence key) {
    int h1 = prefixHash;
    int tail = prefixTail;
    int tailLen = prefixTailLen;
    int n = key.length();
    for (int i = 0; i < n; i++) {
      char c = key.charAt(i);
      if (c >= 0x80) {
        return bucketOfBytes(key.toString().getBytes(StandardCharsets.UTF_8));
      }
      tail |= c << (8 * tailLen);
      if (++tailLen == 4) {
        h1 = Cohorts.mixBlock(h1, tail);
        tail = 0;
        tailLen = 0;
      }
    }
    return Cohorts.toBucket(Cohorts.finish(h1, tail, tailLen, prefixLen + n));
  }

  private int bucketOfBytes(byte[] bytes) {
    int h1 = prefixHash;
    int tail = prefixTail;
    int tailLen = prefixTailLen;
    for (byte b : bytes) {
      tail |= (b & 0xff) << (8 * tailLen);
      if (++tailLen == 4) {
        h1 = Cohorts.mixBlock(h1, tail);
        tail = 0;
        tailLen = 0;
      }
    }
    return Cohorts.toBucket(Cohorts.finish(h1, tail, tailLen, prefixLen + bytes.length));
  }
}
